//! PostgreSQL's binary COPY format decoded straight into Arrow builders: one appender per
//! kind of column, no row objects in between. The format: a signature, flags and an
//! extension area; then per tuple a 16-bit field count (-1 ends the data) and per field a
//! 32-bit length (-1 for NULL) and that many bytes in the type's binary send format.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, FixedSizeBinaryBuilder, Int16Builder, Int32Builder,
    Int64Builder, ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, RecordBatch, StringArray};
use arrow_schema::SchemaRef;
use bytes::{Buf, BytesMut};
use thiserror::Error;

use super::columns::{ColumnKind, ExportColumn};

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
/// Microseconds and days between the Unix epoch and PostgreSQL's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
const PG_EPOCH_DAYS: i32 = 10_957;

#[derive(Debug, Error)]
#[error("cannot read {table}.{column} from the server's COPY data: {reason}")]
pub struct DecodeError {
    pub table: String,
    pub column: String,
    pub reason: String,
}

/// The builders of one record batch, one per column.
enum Appender {
    Bool(BooleanBuilder),
    Int16(Int16Builder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    Decimal(Decimal128Builder, i8),
    Uuid(FixedSizeBinaryBuilder),
    UuidText(StringBuilder),
    Text(StringBuilder),
    /// keys into the enum's labels: a label is found by comparing bytes with the few
    /// labels of the type, not by hashing every value
    Enum(Int32Builder, Vec<Vec<u8>>, Arc<StringArray>),
    Timestamp(TimestampMicrosecondBuilder),
    Date(Date32Builder),
    TextArray(ListBuilder<StringBuilder>),
    Jsonb(StringBuilder),
    Inet(StringBuilder),
}

fn be_i16(bytes: &[u8]) -> Option<i16> {
    Some(i16::from_be_bytes(bytes.get(..2)?.try_into().ok()?))
}

fn be_i32(bytes: &[u8]) -> Option<i32> {
    Some(i32::from_be_bytes(bytes.get(..4)?.try_into().ok()?))
}

fn be_i64(bytes: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// A numeric's binary form as an integer at `scale` decimals: base-10000 digits with a
/// weight (the power of 10000 of the first digit), a sign and a display scale.
fn numeric(bytes: &[u8], scale: i8) -> Result<i128, String> {
    let short = || "truncated numeric".to_string();
    let field = |at: usize| bytes.get(at..).and_then(be_i16).ok_or_else(short);
    let ndigits = field(0)?;
    let weight = field(2)?;
    let sign = field(4)? as u16;
    if sign == 0xC000 {
        return Err("NaN has no decimal value".into());
    }
    let mut digits: i128 = 0;
    for i in 0..ndigits as usize {
        let digit = field(8 + 2 * i)?;
        digits = digits
            .checked_mul(10_000)
            .and_then(|d| d.checked_add(digit.into()))
            .ok_or("numeric too large")?;
    }
    // value = digits × 10000^(weight − ndigits + 1); at `scale` decimals: × 10^scale
    let exponent = 4 * (i32::from(weight) - i32::from(ndigits) + 1) + i32::from(scale);
    let magnitude = if exponent >= 0 {
        10i128.checked_pow(exponent as u32).and_then(|p| digits.checked_mul(p)).ok_or("numeric too large")?
    } else {
        let divisor = 10i128.checked_pow(exponent.unsigned_abs()).ok_or("numeric scale too large")?;
        if digits % divisor != 0 {
            return Err("more decimals than the column's scale".into());
        }
        digits / divisor
    };
    Ok(if sign == 0x4000 { -magnitude } else { magnitude })
}

/// inet's binary form (family, bits, is_cidr, length, address) as PostgreSQL prints it.
fn inet(bytes: &[u8]) -> Result<String, String> {
    let (family, bits, length) = match bytes {
        [family, bits, _, length, ..] => (*family, *bits, *length as usize),
        _ => return Err("truncated inet".into()),
    };
    let address = bytes.get(4..4 + length).ok_or("truncated inet")?;
    let (text, full) = match (family, address.len()) {
        (2, 4) => (Ipv4Addr::new(address[0], address[1], address[2], address[3]).to_string(), 32),
        (3, 16) => {
            let octets: [u8; 16] = address.try_into().map_err(|_| "truncated inet")?;
            (Ipv6Addr::from(octets).to_string(), 128)
        }
        _ => return Err(format!("unknown inet family {family}")),
    };
    Ok(if bits == full { text } else { format!("{text}/{bits}") })
}

fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|err| format!("not UTF-8 ({err})"))
}

/// A one-dimensional text[]'s binary form: its elements, NULL ones included.
fn text_array(bytes: &[u8], list: &mut ListBuilder<StringBuilder>) -> Result<(), String> {
    let short = || "truncated array".to_string();
    let dimensions = be_i32(bytes).ok_or_else(short)?;
    if dimensions == 0 {
        list.append(true);
        return Ok(());
    }
    if dimensions != 1 {
        return Err(format!("a {dimensions}-dimensional array"));
    }
    let count = be_i32(bytes.get(12..).ok_or_else(short)?).ok_or_else(short)?;
    let mut at = 20;
    for _ in 0..count {
        let length = be_i32(bytes.get(at..).ok_or_else(short)?).ok_or_else(short)?;
        at += 4;
        if length < 0 {
            list.values().append_null();
        } else {
            let element = bytes.get(at..at + length as usize).ok_or_else(short)?;
            list.values().append_value(utf8(element)?);
            at += length as usize;
        }
    }
    list.append(true);
    Ok(())
}

impl Appender {
    fn new(column: &ExportColumn, capacity: usize) -> Result<Appender, String> {
        Ok(match column.kind {
            ColumnKind::Bool => Appender::Bool(BooleanBuilder::with_capacity(capacity)),
            ColumnKind::Int16 => Appender::Int16(Int16Builder::with_capacity(capacity)),
            ColumnKind::Int32 => Appender::Int32(Int32Builder::with_capacity(capacity)),
            ColumnKind::Int64 => Appender::Int64(Int64Builder::with_capacity(capacity)),
            ColumnKind::Decimal { precision, scale } => Appender::Decimal(
                Decimal128Builder::with_capacity(capacity)
                    .with_precision_and_scale(precision, scale)
                    .map_err(|err| err.to_string())?,
                scale,
            ),
            ColumnKind::Uuid => Appender::Uuid(FixedSizeBinaryBuilder::with_capacity(capacity, 16)),
            ColumnKind::UuidText => Appender::UuidText(StringBuilder::with_capacity(capacity, capacity * 36)),
            ColumnKind::Text => Appender::Text(StringBuilder::with_capacity(capacity, capacity * 32)),
            ColumnKind::Enum => Appender::Enum(
                Int32Builder::with_capacity(capacity),
                column.labels.iter().map(|l| l.as_bytes().to_vec()).collect(),
                Arc::new(StringArray::from(column.labels.clone())),
            ),
            ColumnKind::Timestamp => {
                Appender::Timestamp(TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("UTC"))
            }
            ColumnKind::Date => Appender::Date(Date32Builder::with_capacity(capacity)),
            ColumnKind::TextArray => Appender::TextArray(ListBuilder::new(StringBuilder::new())),
            ColumnKind::Jsonb => Appender::Jsonb(StringBuilder::new()),
            ColumnKind::Inet => Appender::Inet(StringBuilder::new()),
        })
    }

    fn append_null(&mut self) {
        match self {
            Appender::Bool(b) => b.append_null(),
            Appender::Int16(b) => b.append_null(),
            Appender::Int32(b) => b.append_null(),
            Appender::Int64(b) => b.append_null(),
            Appender::Decimal(b, _) => b.append_null(),
            Appender::Uuid(b) => b.append_null(),
            Appender::UuidText(b) => b.append_null(),
            Appender::Text(b) | Appender::Jsonb(b) | Appender::Inet(b) => b.append_null(),
            Appender::Enum(b, _, _) => b.append_null(),
            Appender::Timestamp(b) => b.append_null(),
            Appender::Date(b) => b.append_null(),
            Appender::TextArray(b) => b.append_null(),
        }
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), String> {
        let short = || "truncated value".to_string();
        match self {
            Appender::Bool(b) => b.append_value(*bytes.first().ok_or_else(short)? != 0),
            Appender::Int16(b) => b.append_value(be_i16(bytes).ok_or_else(short)?),
            Appender::Int32(b) => b.append_value(be_i32(bytes).ok_or_else(short)?),
            Appender::Int64(b) => b.append_value(be_i64(bytes).ok_or_else(short)?),
            Appender::Decimal(b, scale) => b.append_value(numeric(bytes, *scale)?),
            Appender::Uuid(b) => b.append_value(bytes).map_err(|err| err.to_string())?,
            Appender::UuidText(b) => {
                let id = uuid::Uuid::from_slice(bytes).map_err(|err| err.to_string())?;
                b.append_value(id.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()))
            }
            Appender::Text(b) => b.append_value(utf8(bytes)?),
            Appender::Enum(keys, labels, _) => match labels.iter().position(|label| label == bytes) {
                Some(key) => keys.append_value(key as i32),
                None => {
                    return Err(format!("{:?} is not a label of the enum", String::from_utf8_lossy(bytes)))
                }
            },
            Appender::Timestamp(b) => {
                let micros = be_i64(bytes).ok_or_else(short)?;
                if micros == i64::MAX || micros == i64::MIN {
                    return Err("an infinite timestamp has no Parquet value".into());
                }
                let unix = micros.checked_add(PG_EPOCH_MICROS).ok_or_else(|| {
                    format!("the timestamp {micros} µs after 2000-01-01 is beyond Parquet's range")
                })?;
                b.append_value(unix)
            }
            Appender::Date(b) => {
                let days = be_i32(bytes).ok_or_else(short)?;
                if days == i32::MAX || days == i32::MIN {
                    return Err("an infinite date has no Parquet value".into());
                }
                let unix = days.checked_add(PG_EPOCH_DAYS).ok_or_else(|| {
                    format!("the date {days} days after 2000-01-01 is beyond Parquet's range")
                })?;
                b.append_value(unix)
            }
            Appender::TextArray(b) => text_array(bytes, b)?,
            // jsonb's binary form is a version byte (1) and the JSON text
            Appender::Jsonb(b) => match bytes.split_first() {
                Some((1, text)) => b.append_value(utf8(text)?),
                _ => return Err("unknown jsonb version".into()),
            },
            Appender::Inet(b) => b.append_value(inet(bytes)?),
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<ArrayRef, String> {
        Ok(match self {
            Appender::Bool(b) => Arc::new(b.finish()),
            Appender::Int16(b) => Arc::new(b.finish()),
            Appender::Int32(b) => Arc::new(b.finish()),
            Appender::Int64(b) => Arc::new(b.finish()),
            Appender::Decimal(b, _) => Arc::new(b.finish()),
            Appender::Uuid(b) => Arc::new(b.finish()),
            Appender::UuidText(b) => Arc::new(b.finish()),
            Appender::Text(b) | Appender::Jsonb(b) | Appender::Inet(b) => Arc::new(b.finish()),
            Appender::Enum(keys, _, values) => Arc::new(
                DictionaryArray::<Int32Type>::try_new(keys.finish(), values.clone() as ArrayRef)
                    .map_err(|err| err.to_string())?,
            ),
            Appender::Timestamp(b) => Arc::new(b.finish()),
            Appender::Date(b) => Arc::new(b.finish()),
            Appender::TextArray(b) => Arc::new(b.finish()),
        })
    }
}

/// Reads binary COPY data as it arrives, in chunks of any size, into record batches of
/// at most `batch_rows` rows.
pub struct CopyDecoder {
    table: String,
    columns: Vec<ExportColumn>,
    schema: SchemaRef,
    appenders: Vec<Appender>,
    buffer: BytesMut,
    header_read: bool,
    ended: bool,
    rows: usize,
    batch_rows: usize,
}

impl CopyDecoder {
    pub fn new(
        table: &str,
        columns: Vec<ExportColumn>,
        schema: SchemaRef,
        batch_rows: usize,
    ) -> Result<CopyDecoder, DecodeError> {
        let appenders = columns
            .iter()
            .map(|c| {
                Appender::new(c, batch_rows).map_err(|reason| DecodeError {
                    table: table.to_string(),
                    column: c.name.clone(),
                    reason,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(CopyDecoder {
            table: table.to_string(),
            columns,
            schema,
            appenders,
            buffer: BytesMut::new(),
            header_read: false,
            ended: false,
            rows: 0,
            batch_rows,
        })
    }

    fn error(&self, column: usize, reason: String) -> DecodeError {
        let column = self.columns.get(column).map_or_else(|| "?".to_string(), |c| c.name.clone());
        DecodeError { table: self.table.clone(), column, reason }
    }

    /// Adds a chunk of COPY data; returns the batches it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<RecordBatch>, DecodeError> {
        self.buffer.extend_from_slice(chunk);
        let mut batches = Vec::new();
        if !self.header_read {
            // signature, 32-bit flags, 32-bit extension length and the extension
            if self.buffer.len() < SIGNATURE.len() + 8 {
                return Ok(batches);
            }
            if &self.buffer[..SIGNATURE.len()] != SIGNATURE {
                return Err(self.error(0, "not binary COPY data".into()));
            }
            let extension = be_i32(&self.buffer[SIGNATURE.len() + 4..]).unwrap_or(0).max(0) as usize;
            let header = SIGNATURE.len() + 8 + extension;
            if self.buffer.len() < header {
                return Ok(batches);
            }
            self.buffer.advance(header);
            self.header_read = true;
        }
        while !self.ended {
            let Some(length) = self.tuple_length()? else { break };
            let tuple = self.buffer.split_to(length);
            if be_i16(&tuple) == Some(-1) {
                self.ended = true;
                break;
            }
            let mut at = 2;
            for i in 0..self.columns.len() {
                let size = be_i32(&tuple[at..]).unwrap_or(-1);
                at += 4;
                if size < 0 {
                    self.appenders[i].append_null();
                } else {
                    let value = &tuple[at..at + size as usize];
                    at += size as usize;
                    if let Err(reason) = self.appenders[i].append(value) {
                        return Err(self.error(i, reason));
                    }
                }
            }
            self.rows += 1;
            if self.rows == self.batch_rows {
                batches.push(self.finish_batch()?);
            }
        }
        Ok(batches)
    }

    /// The byte length of the next whole tuple in the buffer (the end marker counts as
    /// one), or None until more data arrives.
    fn tuple_length(&self) -> Result<Option<usize>, DecodeError> {
        let Some(fields) = be_i16(&self.buffer) else { return Ok(None) };
        if fields == -1 {
            return Ok(Some(2));
        }
        if fields as usize != self.columns.len() {
            return Err(self.error(0, format!("{fields} fields in a row of {} columns", self.columns.len())));
        }
        let mut at = 2;
        for _ in 0..fields {
            let Some(size) = self.buffer.get(at..).and_then(be_i32) else { return Ok(None) };
            at += 4 + size.max(0) as usize;
        }
        Ok((self.buffer.len() >= at).then_some(at))
    }

    fn finish_batch(&mut self) -> Result<RecordBatch, DecodeError> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.appenders.len());
        for i in 0..self.appenders.len() {
            let array = self.appenders[i].finish().map_err(|reason| self.error(i, reason))?;
            arrays.push(array);
        }
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(|err| self.error(0, err.to_string()))
    }

    /// The last, partial batch once the data has ended; an error if it never did.
    pub fn finish(mut self) -> Result<Option<RecordBatch>, DecodeError> {
        if !self.ended {
            return Err(self.error(0, "the COPY data ended in the middle of a row".into()));
        }
        Ok(if self.rows > 0 { Some(self.finish_batch()?) } else { None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_become_integers_at_the_column_scale() {
        // 1234.50 at scale 2: digits [1234, 5000], weight 0, dscale 2
        let bytes = [0, 2, 0, 0, 0, 0, 0, 2, 0x04, 0xD2, 0x13, 0x88];
        assert_eq!(numeric(&bytes, 2), Ok(123_450));
        // -0.0005 at scale 4: digits [5], weight -1
        let bytes = [0, 1, 0xFF, 0xFF, 0x40, 0, 0, 4, 0, 5];
        assert_eq!(numeric(&bytes, 4), Ok(-5));
        // 20000 (digits [2], weight 1) at scale 2
        let bytes = [0, 1, 0, 1, 0, 0, 0, 0, 0, 2];
        assert_eq!(numeric(&bytes, 2), Ok(2_000_000));
        // zero has no digits
        assert_eq!(numeric(&[0, 0, 0, 0, 0, 0, 0, 2], 2), Ok(0));
    }

    #[test]
    fn inet_prints_as_postgresql_does() {
        assert_eq!(inet(&[2, 32, 0, 4, 10, 0, 0, 1]), Ok("10.0.0.1".to_string()));
        assert_eq!(inet(&[2, 24, 0, 4, 10, 0, 0, 0]), Ok("10.0.0.0/24".to_string()));
        let mut v6 = vec![3, 128, 0, 16];
        v6.extend([0u8; 15]);
        v6.push(1);
        assert_eq!(inet(&v6), Ok("::1".to_string()));
    }
}

//! One self-contained HTML page (`report weekly --html FILE`): inline CSS, the charts as
//! inline SVG, tables rendered as people read them; nothing fetched from a network and
//! no script, so it opens offline, mails as one attachment and prints.

use std::fmt::Write as _;

use super::render::human;
use crate::frame::{Frame, Kind, Style, Value};
use crate::model::Severity;

/// A part of the page under its heading.
pub enum Block {
    Table(Frame),
    Picture(String),
    Note(String),
}

pub struct Page {
    pub title: String,
    pub subtitle: String,
    pub sections: Vec<(String, Vec<Block>)>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const CSS: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#222;margin:2em auto;\
max-width:1100px;padding:0 1em}h1{margin-bottom:0}.sub{color:#555;margin-top:.3em}h2{border-bottom:2px solid \
#0072B2;padding-bottom:.2em;margin-top:2em}table{border-collapse:collapse;margin:.8em 0;font-size:13px}\
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f2f4f7}\
td.n{text-align:right;font-variant-numeric:tabular-nums}td.critical{color:#b30000;font-weight:bold}\
td.high{color:#8a5a00;font-weight:bold}.note{color:#555;font-style:italic}svg{max-width:100%;height:auto}\
@media print{@page{margin:12mm}body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}\
table{font-size:8px;width:100%}th,td{padding:2px 3px;overflow-wrap:anywhere}th,td.n,td.e,td.critical,td.high\
{overflow-wrap:normal}td.n,td.e,td.critical,td.high{white-space:nowrap}tr,svg{break-inside:avoid}}";

fn numeric(kind: Kind) -> bool {
    kind.is_numeric()
}

fn table(frame: &Frame, html: &mut String) {
    if frame.rows.is_empty() {
        let _ = write!(html, r#"<p class="note">{}</p>"#, escape(&frame.empty));
        return;
    }
    html.push_str("<table>");
    if frame.style == Style::Record && frame.rows.len() == 1 {
        for (column, value) in frame.columns.iter().zip(&frame.rows[0]) {
            let class = if numeric(column.kind) { " class=\"n\"" } else { "" };
            let _ = write!(
                html,
                "<tr><th>{}</th><td{class}>{}</td></tr>",
                escape(&crate::frame::words(&column.name)),
                escape(&human(value, column.kind))
            );
        }
    } else {
        html.push_str("<thead><tr>");
        for column in &frame.columns {
            let _ = write!(html, "<th>{}</th>", escape(&crate::frame::words(&column.name)));
        }
        html.push_str("</tr></thead><tbody>");
        for row in &frame.rows {
            html.push_str("<tr>");
            for (column, value) in frame.columns.iter().zip(row) {
                let text = human(value, column.kind);
                let class = match (column.name.as_str(), value) {
                    ("severity", Value::Text(s))
                        if *s == Severity::Critical.label() || *s == Severity::High.label() =>
                    {
                        format!(" class=\"{s}\"")
                    }
                    _ if numeric(column.kind) => " class=\"n\"".to_string(),
                    // labels and other short words stay whole when a printed table
                    // squeezes its columns (long text wraps, anywhere if it must)
                    _ if text.chars().count() <= 14 && !text.contains(char::is_whitespace) => {
                        " class=\"e\"".to_string()
                    }
                    _ => String::new(),
                };
                let _ = write!(html, "<td{class}>{}</td>", escape(&text));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody>");
    }
    html.push_str("</table>");
}

impl Page {
    pub fn render(&self) -> String {
        let mut html = String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        let _ = write!(
            html,
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>",
            escape(&self.title)
        );
        let _ =
            write!(html, "<h1>{}</h1><p class=\"sub\">{}</p>", escape(&self.title), escape(&self.subtitle));
        for (heading, blocks) in &self.sections {
            let _ = write!(html, "<section><h2>{}</h2>", escape(heading));
            for block in blocks {
                match block {
                    Block::Table(frame) => {
                        if let Some(title) = &frame.title {
                            let _ = write!(html, "<h3>{}</h3>", escape(title));
                        }
                        table(frame, &mut html);
                    }
                    Block::Picture(svg) => {
                        // the SVG inline, without its XML prologue (it has none)
                        html.push_str("<figure>");
                        html.push_str(svg.trim());
                        html.push_str("</figure>");
                    }
                    Block::Note(text) => {
                        let _ = write!(html, "<p class=\"note\">{}</p>", escape(text));
                    }
                }
            }
            html.push_str("</section>");
        }
        html.push_str("</body></html>\n");
        html
    }
}

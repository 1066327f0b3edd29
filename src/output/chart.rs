//! Pictures of reports (`--chart FILE.svg|FILE.png`): a small SVG writer for the few
//! charts ctodb draws (bars and lines over months or dates, one or two value axes;
//! horizontal bars of changes), rasterised to PNG by resvg. Colours are the Okabe–Ito
//! palette, told apart with colour-blindness too; every axis says what it counts.
//! The values here are for the eye: binary floats are fine.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use rust_decimal::prelude::ToPrimitive;

use crate::frame::{Frame, Value};

/// Okabe & Ito's colour-blind-safe palette (blue, orange, bluish green, vermillion,
/// reddish purple, sky blue).
const PALETTE: [&str; 6] = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"];
const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 480.0;
const FONT: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Bar,
    Line,
}

/// One series over the chart's categories.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
    pub mark: Mark,
    /// drawn against the right-hand axis
    pub right: bool,
}

/// Bars and lines over categories (months, dates).
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub categories: Vec<String>,
    pub left_label: String,
    pub right_label: Option<String>,
    pub series: Vec<Series>,
}

/// Horizontal bars, one a label, signed (changes).
#[derive(Debug, Clone)]
pub struct Bars {
    pub title: String,
    pub value_label: String,
    pub bars: Vec<(String, f64)>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Round tick steps (1, 2 or 5 times a power of ten) spanning `low..high` in about five.
fn ticks(low: f64, high: f64) -> Vec<f64> {
    let (low, high) =
        if (high - low).abs() < f64::EPSILON { (low.min(0.0), high.max(1.0)) } else { (low, high) };
    let raw = (high - low) / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(power * 10.0);
    let start = (low / step).floor() * step;
    let mut ticks = Vec::new();
    let mut at = start;
    while at <= high + step * 0.999 && ticks.len() < 12 {
        ticks.push(at);
        at += step;
    }
    ticks
}

/// A number as an axis shows it: 1.5M, 250k, 12, 0.5.
fn short(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude >= 1e9 {
        (value / 1e9, "B")
    } else if magnitude >= 1e6 {
        (value / 1e6, "M")
    } else if magnitude >= 1e4 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let text = format!("{scaled:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{}{suffix}", if text == "-0" { "0" } else { text })
}

fn text(svg: &mut String, x: f64, y: f64, anchor: &str, size: u32, extra: &str, content: &str) {
    let _ = write!(
        svg,
        r##"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="{size}" font-family="{FONT}" fill="#222222"{extra}>{}</text>"##,
        escape(content)
    );
}

fn open(title: &str) -> String {
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}">"#,
        escape(title)
    );
    let _ = write!(svg, r##"<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>"##);
    text(&mut svg, WIDTH / 2.0, 28.0, "middle", 18, r#" font-weight="bold""#, title);
    svg
}

impl Chart {
    pub fn svg(&self) -> String {
        let right = if self.right_label.is_some() { 80.0 } else { 30.0 };
        let (left, top, bottom) = (80.0, 70.0, 90.0);
        let mut plot = Plot {
            left,
            top,
            width: WIDTH - left - right,
            height: HEIGHT - top - bottom,
            left_axis: self.axis(false),
            right_axis: None,
        };
        let mut svg = open(&self.title);
        self.legend(&mut svg, left);
        self.axes(&mut svg, &mut plot);
        self.categories(&mut svg, &plot);
        self.bars(&mut svg, &plot);
        self.lines(&mut svg, &plot);
        svg.push_str("</svg>\n");
        svg
    }

    /// The ticks and range of the values on one side.
    fn axis(&self, on_right: bool) -> Axis {
        let values =
            self.series.iter().filter(|s| s.right == on_right).flat_map(|s| s.values.iter().flatten());
        let (lo, hi) = values.fold((0f64, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        let ticks = ticks(lo, if hi == f64::MIN { 1.0 } else { hi });
        let (first, last) = (ticks[0], *ticks.last().unwrap_or(&1.0));
        Axis { lo: first, hi: if last > first { last } else { first + 1.0 }, ticks }
    }

    fn legend(&self, svg: &mut String, left: f64) {
        let mut x = left;
        for (i, series) in self.series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            match series.mark {
                Mark::Bar => {
                    let _ =
                        write!(svg, r#"<rect x="{x:.1}" y="44" width="14" height="12" fill="{colour}"/>"#);
                }
                Mark::Line => {
                    let _ = write!(
                        svg,
                        r#"<line x1="{x:.1}" y1="50" x2="{:.1}" y2="50" stroke="{colour}" stroke-width="3"/>"#,
                        x + 14.0
                    );
                }
            }
            let label = if series.right && self.right_label.is_some() {
                format!("{} (right axis)", series.name)
            } else {
                series.name.clone()
            };
            text(svg, x + 20.0, 55.0, "start", 13, "", &label);
            x += 40.0 + 7.5 * label.chars().count() as f64;
        }
    }

    /// Grid, tick labels and axis labels; the right axis when the chart has one.
    fn axes(&self, svg: &mut String, plot: &mut Plot) {
        let (left, top) = (plot.left, plot.top);
        for tick in &plot.left_axis.ticks {
            let y = plot.y(*tick, &plot.left_axis);
            let _ = write!(
                svg,
                r##"<line x1="{left}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#dddddd"/>"##,
                left + plot.width
            );
            text(svg, left - 8.0, y + 4.0, "end", 12, "", &short(*tick));
        }
        let middle = top + plot.height / 2.0;
        let rotated = format!(r#" transform="rotate(-90 18 {middle:.1})""#);
        text(svg, 18.0, middle, "middle", 13, &rotated, &self.left_label);
        if let Some(label) = &self.right_label {
            let axis = self.axis(true);
            for tick in &axis.ticks {
                let y = plot.y(*tick, &axis) + 4.0;
                text(svg, left + plot.width + 8.0, y, "start", 12, "", &short(*tick));
            }
            let x = WIDTH - 16.0;
            let rotated = format!(r#" transform="rotate(90 {x:.1} {middle:.1})""#);
            text(svg, x, middle, "middle", 13, &rotated, label);
            plot.right_axis = Some(axis);
        }
        let bottom = top + plot.height;
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{bottom:.1}" x2="{:.1}" y2="{bottom:.1}" stroke="#444444"/><line x1="{left}" y1="{top}" x2="{left}" y2="{bottom:.1}" stroke="#444444"/>"##,
            left + plot.width,
        );
    }

    /// The width of one category's slot.
    fn slot(&self, plot: &Plot) -> f64 {
        plot.width / self.categories.len().max(1) as f64
    }

    fn categories(&self, svg: &mut String, plot: &Plot) {
        let slot = self.slot(plot);
        let every = (self.categories.len() / 16).max(1);
        for (i, label) in self.categories.iter().enumerate().filter(|(i, _)| i % every == 0) {
            let (x, y) = (plot.left + slot * (i as f64 + 0.5), plot.top + plot.height + 16.0);
            text(svg, x, y, "end", 11, &format!(r#" transform="rotate(-40 {x:.1} {y:.1})""#), label);
        }
    }

    /// The bars, side by side in each slot.
    fn bars(&self, svg: &mut String, plot: &Plot) {
        let slot = self.slot(plot);
        let bars: Vec<usize> = (0..self.series.len()).filter(|i| self.series[*i].mark == Mark::Bar).collect();
        let bar_w = slot * 0.8 / bars.len().max(1) as f64;
        for (k, index) in bars.iter().enumerate() {
            let series = &self.series[*index];
            let axis = plot.axis_of(series);
            let zero = plot.y(0f64.clamp(axis.lo, axis.hi), axis);
            for (i, value) in series.values.iter().enumerate() {
                let Some(value) = value else { continue };
                let y = plot.y(*value, axis);
                let x = plot.left + slot * i as f64 + slot * 0.1 + bar_w * k as f64;
                let _ = write!(
                    svg,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{bar_w:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                    y.min(zero),
                    (zero - y).abs(),
                    PALETTE[index % PALETTE.len()],
                    escape(&series.name),
                    short(*value)
                );
            }
        }
    }

    /// The lines, over the bars, a dot on each value.
    fn lines(&self, svg: &mut String, plot: &Plot) {
        let slot = self.slot(plot);
        for (index, series) in self.series.iter().enumerate().filter(|(_, s)| s.mark == Mark::Line) {
            let axis = plot.axis_of(series);
            let points: Vec<String> = series
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    v.map(|v| format!("{:.1},{:.1}", plot.left + slot * (i as f64 + 0.5), plot.y(v, axis)))
                })
                .collect();
            let colour = PALETTE[index % PALETTE.len()];
            let _ = write!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="3" data-series="{}"/>"#,
                points.join(" "),
                escape(&series.name)
            );
            for point in &points {
                if let Some((x, y)) = point.split_once(',') {
                    let _ = write!(svg, r#"<circle cx="{x}" cy="{y}" r="3.5" fill="{colour}"/>"#);
                }
            }
        }
    }
}

/// The ticks and the range of one vertical axis.
struct Axis {
    ticks: Vec<f64>,
    lo: f64,
    hi: f64,
}

/// Where the plot sits in the picture, and its axes.
struct Plot {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    left_axis: Axis,
    right_axis: Option<Axis>,
}

impl Plot {
    /// The height at which a value is drawn against an axis.
    fn y(&self, value: f64, axis: &Axis) -> f64 {
        self.top + self.height - (value - axis.lo) / (axis.hi - axis.lo) * self.height
    }

    /// The axis a series is drawn against.
    fn axis_of(&self, series: &Series) -> &Axis {
        match (&self.right_axis, series.right) {
            (Some(axis), true) => axis,
            _ => &self.left_axis,
        }
    }
}

impl Bars {
    pub fn svg(&self) -> String {
        let (left, right, top, bottom) = (260.0, 40.0, 60.0, 60.0);
        let (plot_w, plot_h) = (WIDTH - left - right, HEIGHT - top - bottom);
        let (lo, hi) = self.bars.iter().fold((0f64, 0f64), |(lo, hi), (_, v)| (lo.min(*v), hi.max(*v)));
        let ticks = ticks(lo, if hi == lo { lo + 1.0 } else { hi });
        let (first, last) = (ticks[0], *ticks.last().unwrap_or(&1.0));
        let x_of = |v: f64| left + (v - first) / (last - first).max(f64::EPSILON) * plot_w;
        let mut svg = open(&self.title);
        for tick in &ticks {
            let x = x_of(*tick);
            let _ = write!(
                svg,
                r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="#dddddd"/>"##,
                top + plot_h
            );
            text(&mut svg, x, top + plot_h + 18.0, "middle", 12, "", &short(*tick));
        }
        text(&mut svg, left + plot_w / 2.0, HEIGHT - 14.0, "middle", 13, "", &self.value_label);
        let slot = plot_h / self.bars.len().max(1) as f64;
        let zero = x_of(0.0);
        for (i, (label, value)) in self.bars.iter().enumerate() {
            let thickness = (slot * 0.7).min(28.0);
            let y = top + slot * i as f64 + (slot - thickness) / 2.0;
            let x = x_of(*value);
            // gains blue, losses vermillion
            let colour = if *value >= 0.0 { PALETTE[0] } else { PALETTE[3] };
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{}: {}</title></rect>"#,
                x.min(zero),
                (x - zero).abs(),
                thickness,
                escape(label),
                short(*value)
            );
            let shown: String = label.chars().take(34).collect();
            text(&mut svg, left - 8.0, y + thickness / 2.0 + 4.0, "end", 12, "", &shown);
        }
        let _ = write!(
            svg,
            r##"<line x1="{zero:.1}" y1="{top}" x2="{zero:.1}" y2="{:.1}" stroke="#444444"/>"##,
            top + plot_h
        );
        svg.push_str("</svg>\n");
        svg
    }
}

fn float(value: &Value) -> Option<f64> {
    match value {
        Value::Int(n) => Some(*n as f64),
        Value::Decimal(d) => d.to_f64(),
        Value::Float(x) => Some(*x),
        _ => None,
    }
}

fn column(frame: &Frame, name: &str) -> Vec<Option<f64>> {
    match frame.column_index(name) {
        Some(i) => frame.rows.iter().map(|row| float(&row[i])).collect(),
        None => vec![None; frame.rows.len()],
    }
}

fn labels(frame: &Frame, name: &str, format: &str) -> Vec<String> {
    let Some(i) = frame.column_index(name) else { return vec![String::new(); frame.rows.len()] };
    frame
        .rows
        .iter()
        .map(|row| match &row[i] {
            Value::Date(d) => d.format(format).to_string(),
            Value::Timestamp(t) => t.format(format).to_string(),
            other => crate::output::render::plain(other),
        })
        .collect()
}

/// `report trends`: bugs opened and resolved a month (bars) and the mean time to resolve
/// them (a line, right axis).
pub fn trends(frame: &Frame, title: &str) -> Chart {
    Chart {
        title: format!("{title}: bugs opened and resolved, and MTTR"),
        categories: labels(frame, "month", "%Y-%m"),
        left_label: "bugs a month".to_string(),
        right_label: Some("MTTR (hours)".to_string()),
        series: vec![
            Series {
                name: "opened".into(),
                values: column(frame, "bugs_opened"),
                mark: Mark::Bar,
                right: false,
            },
            Series {
                name: "resolved".into(),
                values: column(frame, "bugs_resolved"),
                mark: Mark::Bar,
                right: false,
            },
            Series {
                name: "MTTR".into(),
                values: column(frame, "mttr_hours"),
                mark: Mark::Line,
                right: true,
            },
        ],
    }
}

/// `report portfolio`: valuation and ARR over the daily portfolio snapshots.
pub fn history(frame: &Frame) -> Chart {
    Chart {
        title: "Portfolio valuation and ARR".to_string(),
        categories: labels(frame, "snapshot_date", "%Y-%m-%d"),
        left_label: "USD".to_string(),
        right_label: None,
        series: vec![
            Series {
                name: "valuation (DCF)".into(),
                values: column(frame, "total_valuation"),
                mark: Mark::Line,
                right: false,
            },
            Series { name: "ARR".into(), values: column(frame, "total_arr"), mark: Mark::Line, right: false },
        ],
    }
}

/// `diff`: the largest valuation moves of its projects frame.
pub fn moves(frame: &Frame, top: usize) -> Bars {
    let names = labels(frame, "project", "");
    let mut bars: Vec<(String, f64)> = names
        .into_iter()
        .zip(column(frame, "valuation_change"))
        .filter_map(|(name, change)| change.filter(|c| *c != 0.0).map(|c| (name, c)))
        .collect();
    bars.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then_with(|| a.0.cmp(&b.0)));
    bars.truncate(top);
    Bars {
        title: "Largest valuation moves".to_string(),
        value_label: "change in valuation (USD)".to_string(),
        bars,
    }
}

/// Rasterises an SVG with the system's fonts.
fn png(svg: &str) -> Result<Vec<u8>> {
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(svg, &options).context("the chart is not valid SVG")?;
    let size = tree.size().to_int_size();
    let Some(mut pixmap) = resvg::tiny_skia::Pixmap::new(size.width(), size.height()) else {
        bail!("cannot allocate a {}×{} picture", size.width(), size.height());
    };
    resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().context("cannot encode the PNG")
}

/// Writes `svg` to `path` as SVG or PNG (by its extension), atomically.
pub fn write(svg: &str, path: &Path) -> Result<()> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let bytes = match extension.as_deref() {
        Some("svg") => svg.as_bytes().to_vec(),
        Some("png") => png(svg)?,
        _ => bail!("--chart {}: the file must end in .svg or .png", path.display()),
    };
    super::write_atomically(path, |out| out.write_all(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 47.0), vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
        assert_eq!(ticks(-3.0, 7.0), vec![-4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(short(1_500_000.0), "1.5M");
        assert_eq!(short(25_000.0), "25k");
        assert_eq!(short(12.0), "12");
    }

    #[test]
    fn text_is_escaped() {
        let bars = Bars {
            title: "a <b> & \"c\"".into(),
            value_label: "USD".into(),
            bars: vec![("x&y".into(), 2.0)],
        };
        let svg = bars.svg();
        assert!(svg.contains("a &lt;b&gt; &amp; &quot;c&quot;") && svg.contains(">x&amp;y<"));
    }
}

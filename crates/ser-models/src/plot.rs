//! Plots with plotters, SVG or PNG by the file extension: training curves (loss and accuracy per
//! epoch, train and validation) and the confusion matrix as a labelled heat map. PNG text uses an
//! embedded DejaVu Sans subset (no system fonts needed).

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use ser_labels::LabelSet;

use crate::error::{ModelError, Result};
use crate::train::EpochRecord;

const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-subset.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

fn perr(path: &Path) -> impl Fn(String) -> ModelError + '_ {
    move |reason| ModelError::Plot {
        path: path.to_path_buf(),
        reason,
    }
}

fn is_png(path: &Path) -> Result<bool> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => Ok(true),
        Some("svg") => Ok(false),
        _ => Err(ModelError::Plot {
            path: path.to_path_buf(),
            reason: "extension must be .svg or .png".into(),
        }),
    }
}

macro_rules! render {
    ($path:expr, $size:expr, |$root:ident| $body:expr) => {{
        register_font();
        let path: &Path = $path;
        let e = perr(path);
        if is_png(path)? {
            let $root = BitMapBackend::new(path, $size).into_drawing_area();
            $body.map_err(&e)?;
            $root.present().map_err(|x| e(x.to_string()))?;
        } else {
            let $root = SVGBackend::new(path, $size).into_drawing_area();
            $body.map_err(&e)?;
            $root.present().map_err(|x| e(x.to_string()))?;
        }
        Ok(())
    }};
}

fn curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    history: &[EpochRecord],
    train: &dyn Fn(&EpochRecord) -> f64,
    val: &dyn Fn(&EpochRecord) -> Option<f64>,
    y_label: &str,
) -> std::result::Result<(), String> {
    let s = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let n = history.len().max(1);
    let vals: Vec<f64> = history
        .iter()
        .flat_map(|r| [Some(train(r)), val(r)])
        .flatten()
        .filter(|v| v.is_finite())
        .collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
    let mut hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !hi.is_finite() || hi <= lo {
        hi = lo + 1.0;
    }
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(1f64..n as f64, lo..hi * 1.05)
        .map_err(s)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc(y_label)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(s)?;
    let tr: Vec<(f64, f64)> = history.iter().map(|r| (r.epoch as f64, train(r))).collect();
    chart
        .draw_series(LineSeries::new(tr, BLUE.stroke_width(2)))
        .map_err(s)?
        .label("train")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    let va: Vec<(f64, f64)> = history
        .iter()
        .filter_map(|r| val(r).map(|v| (r.epoch as f64, v)))
        .collect();
    if !va.is_empty() {
        chart
            .draw_series(LineSeries::new(va, RED.stroke_width(2)))
            .map_err(s)?
            .label("validation")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(s)?;
    Ok(())
}

fn history_draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    history: &[EpochRecord],
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root.titled(title, (FONT, 24)).map_err(|e| e.to_string())?;
    let (left, right) = root.split_horizontally(root.dim_in_pixel().0 / 2);
    curves(
        &left,
        "loss",
        history,
        &|r| r.train_loss,
        &|r| r.val_loss,
        "cross-entropy",
    )?;
    curves(
        &right,
        "accuracy",
        history,
        &|r| r.train_accuracy,
        &|r| r.val_accuracy,
        "accuracy",
    )?;
    Ok(())
}

/// Loss (left) and accuracy (right) per epoch, train and validation, to `path` (.svg or .png).
pub fn plot_history(history: &[EpochRecord], title: &str, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    render!(path, (1100, 450), |root| history_draw(
        &root, title, history
    ))
}

fn confusion_draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    confusion: &[Vec<usize>],
    labels: &LabelSet,
) -> std::result::Result<(), String> {
    let s = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(s)?;
    let k = confusion.len();
    // A segmented range a..b has b - a + 1 segments.
    let last = k.saturating_sub(1) as i32;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 22))
        .margin(15)
        .x_label_area_size(70)
        .y_label_area_size(95)
        .build_cartesian_2d((0i32..last).into_segmented(), (0i32..last).into_segmented())
        .map_err(s)?;
    let name = |i: i32| {
        labels
            .get(i as usize)
            .map_or_else(|| i.to_string(), |l| l.name().to_string())
    };
    let kk = k as i32;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(k + 1)
        .y_labels(k + 1)
        .x_label_formatter(&|x| match x {
            SegmentValue::CenterOf(i) if *i < kk => name(*i),
            _ => String::new(),
        })
        .y_label_formatter(&|y| match y {
            SegmentValue::CenterOf(i) if *i < kk => name(kk - 1 - *i),
            _ => String::new(),
        })
        .x_desc("predicted")
        .y_desc("true")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(s)?;
    for (t, row) in confusion.iter().enumerate() {
        let total: usize = row.iter().sum();
        for (p, &c) in row.iter().enumerate() {
            let frac = if total == 0 {
                0.0
            } else {
                c as f64 / total as f64
            };
            let y = kk - 1 - t as i32;
            let shade = (255.0 * (1.0 - frac)) as u8;
            let color = RGBColor(shade, shade, 255);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [
                        (SegmentValue::Exact(p as i32), SegmentValue::Exact(y)),
                        (
                            SegmentValue::Exact(p as i32 + 1),
                            SegmentValue::Exact(y + 1),
                        ),
                    ],
                    color.filled(),
                )))
                .map_err(s)?;
            let text_color = if frac > 0.5 { WHITE } else { BLACK };
            let style = TextStyle::from((FONT, 15).into_font())
                .color(&text_color)
                .pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ));
            chart
                .draw_series(std::iter::once(Text::new(
                    c.to_string(),
                    (SegmentValue::CenterOf(p as i32), SegmentValue::CenterOf(y)),
                    style,
                )))
                .map_err(s)?;
        }
    }
    Ok(())
}

/// The confusion matrix (rows true, columns predicted) as a heat map with the class names and the
/// counts; cells shaded by the row-normalised fraction. To `path` (.svg or .png).
pub fn plot_confusion(
    confusion: &[Vec<usize>],
    labels: &LabelSet,
    title: &str,
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    render!(path, (720, 640), |root| confusion_draw(
        &root, title, confusion, labels
    ))
}

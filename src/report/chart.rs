//! One small-multiple chart of a series: month values as bars, the year-to-date
//! as a line (left axis), year-on-year growth as a dashed line (right axis),
//! flagged months marked. Geometry only; `parks_html` writes the SVG.

use crate::model::MonthlyRef;

pub const WIDTH: f64 = 320.0;
pub const HEIGHT: f64 = 190.0;
const LEFT: f64 = 46.0;
const RIGHT: f64 = 36.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 24.0;

/// A display unit for a series: `亿元` for values in the hundreds of millions of 元.
#[derive(Debug, Clone)]
pub struct DisplayUnit {
    pub label: String,
    pub divisor: f64,
}

impl DisplayUnit {
    /// The largest of 亿 / 万 that keeps the biggest value at 1 or more.
    pub fn for_values(unit: &str, max_abs: f64) -> DisplayUnit {
        let (label, divisor) = if unit == "%" || unit.is_empty() {
            (unit.to_string(), 1.0)
        } else if max_abs >= 1e8 {
            (format!("亿{unit}"), 1e8)
        } else if max_abs >= 1e4 {
            (format!("万{unit}"), 1e4)
        } else {
            (unit.to_string(), 1.0)
        };
        DisplayUnit { label, divisor }
    }
}

#[derive(Debug, Clone)]
pub struct Tick {
    pub pos: f64,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub tip: String,
}

#[derive(Debug, Clone)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub tip: String,
}

/// A flagged month: where to draw the mark, and the checks' messages.
#[derive(Debug, Clone)]
pub struct Flag {
    pub x: f64,
    pub y: f64,
    pub month: u8,
    pub tip: String,
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub plot_left: f64,
    pub plot_right: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
    pub zero_y: f64,
    pub unit: DisplayUnit,
    pub bars: Vec<Bar>,
    pub ytd_path: String,
    pub ytd_points: Vec<Point>,
    pub yoy_path: String,
    pub yoy_points: Vec<Point>,
    pub x_ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub y2_ticks: Vec<Tick>,
    pub flags: Vec<Flag>,
    pub has_yoy: bool,
}

/// A step of 1, 2 or 5 × 10ⁿ that splits `span` into about four parts.
fn nice_step(span: f64) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let raw = span / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    mag * if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    }
}

/// Axis bounds and ticks covering `lo..hi` and zero.
fn axis(lo: f64, hi: f64) -> (f64, f64, Vec<f64>) {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let (lo, hi) = if hi - lo < 1e-12 {
        (lo, lo + 1.0)
    } else {
        (lo, hi)
    };
    let step = nice_step(hi - lo);
    let a = (lo / step).floor() * step;
    let b = (hi / step).ceil() * step;
    let n = ((b - a) / step).round() as i64;
    let ticks = (0..=n).map(|i| a + i as f64 * step).collect();
    (a, b, ticks)
}

fn label(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

fn fmt_value(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    format!("{r}")
}

/// The chart of one year of a series; `flags` are (month, message) of its checks.
pub fn chart(rows: &[&MonthlyRef], flags: &[(u8, String)]) -> Chart {
    let unit_raw = rows.first().map(|m| m.unit).unwrap_or("");
    let max_abs = rows
        .iter()
        .flat_map(|m| [m.ytd_value, m.month_value])
        .flatten()
        .fold(0.0f64, |a, v| a.max(v.abs()));
    let unit = DisplayUnit::for_values(unit_raw, max_abs);
    let d = unit.divisor;
    let (pl, pr, pt, pb) = (LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM);
    let slot = (pr - pl) / 12.0;
    let xm = |m: u8| pl + slot * (f64::from(m) - 0.5);

    let values: Vec<f64> = rows
        .iter()
        .flat_map(|m| [m.ytd_value, m.month_value])
        .flatten()
        .map(|v| v / d)
        .collect();
    let lo = values.iter().copied().fold(0.0f64, f64::min);
    let hi = values.iter().copied().fold(0.0f64, f64::max);
    let (a, b, ticks) = axis(lo, hi);
    let y = |v: f64| pb - (v - a) / (b - a) * (pb - pt);
    let zero_y = y(0.0);

    let mut bars = Vec::new();
    let mut ytd_points = Vec::new();
    let mut yoy_raw = Vec::new();
    for m in rows {
        if let Some(v) = m.month_value {
            let v = v / d;
            let (top, bottom) = (y(v.max(0.0)), y(v.min(0.0)));
            let span = m
                .month_value_from
                .filter(|f| *f < m.month)
                .unwrap_or(m.month);
            let x0 = pl + slot * f64::from(span - 1) + slot * 0.2;
            let x1 = pl + slot * f64::from(m.month) - slot * 0.2;
            bars.push(Bar {
                x: x0,
                y: top,
                w: (x1 - x0).max(1.0),
                h: (bottom - top).max(0.5),
                tip: format!(
                    "{}{}月 当月 month: {} {}{}",
                    if span < m.month {
                        format!("{span}-")
                    } else {
                        String::new()
                    },
                    m.month,
                    fmt_value(v),
                    unit.label,
                    if m.derivation == "reported" {
                        ""
                    } else {
                        " (derived)"
                    }
                ),
            });
        }
        if let Some(v) = m.ytd_value {
            ytd_points.push(Point {
                x: xm(m.month),
                y: y(v / d),
                tip: format!(
                    "1-{}月 累计 ytd: {} {}",
                    m.month,
                    fmt_value(v / d),
                    unit.label
                ),
            });
        }
        if let Some(g) = m.ytd_yoy_pct {
            yoy_raw.push((m.month, g));
        }
    }
    let path = |pts: &[Point]| {
        pts.iter()
            .enumerate()
            .map(|(i, p)| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, p.x, p.y))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (ga, gb, gticks) = axis(
        yoy_raw.iter().map(|g| g.1).fold(0.0f64, f64::min),
        yoy_raw.iter().map(|g| g.1).fold(0.0f64, f64::max),
    );
    let y2 = |v: f64| pb - (v - ga) / (gb - ga) * (pb - pt);
    let yoy_points: Vec<Point> = yoy_raw
        .iter()
        .map(|(m, g)| Point {
            x: xm(*m),
            y: y2(*g),
            tip: format!("1-{m}月 同比 yoy: {g}%"),
        })
        .collect();
    let mut flag_marks: Vec<Flag> = Vec::new();
    for (m, msg) in flags {
        match flag_marks.iter_mut().find(|f| f.month == *m) {
            Some(f) => {
                f.tip.push('\n');
                f.tip.push_str(msg);
            }
            None => flag_marks.push(Flag {
                x: xm(*m),
                y: pt + 4.0,
                month: *m,
                tip: msg.clone(),
            }),
        }
    }
    Chart {
        width: WIDTH,
        height: HEIGHT,
        plot_left: pl,
        plot_right: pr,
        plot_top: pt,
        plot_bottom: pb,
        zero_y,
        unit,
        ytd_path: path(&ytd_points),
        ytd_points,
        yoy_path: path(&yoy_points),
        has_yoy: !yoy_points.is_empty(),
        yoy_points,
        bars,
        x_ticks: (1..=12u8)
            .filter(|m| m % 2 == 1)
            .map(|m| Tick {
                pos: xm(m),
                label: format!("{m}月"),
            })
            .collect(),
        y_ticks: ticks
            .iter()
            .map(|v| Tick {
                pos: y(*v),
                label: label(*v),
            })
            .collect(),
        y2_ticks: if yoy_raw.is_empty() {
            vec![]
        } else {
            gticks
                .iter()
                .map(|v| Tick {
                    pos: y2(*v),
                    label: format!("{}%", label(*v)),
                })
                .collect()
        },
        flags: flag_marks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_cover_zero_and_use_round_steps() {
        let (a, b, t) = axis(3.0, 97.0);
        assert_eq!((a, b), (0.0, 100.0));
        assert_eq!(t, vec![0.0, 50.0, 100.0]);
        let (a, b, _) = axis(-12.0, 8.0);
        assert!(a <= -12.0 && b >= 8.0);
    }

    #[test]
    fn display_units_follow_magnitude() {
        assert_eq!(DisplayUnit::for_values("元", 4.2e9).label, "亿元");
        assert_eq!(DisplayUnit::for_values("千瓦时", 5e5).label, "万千瓦时");
        assert_eq!(DisplayUnit::for_values("家", 120.0).label, "家");
        assert_eq!(DisplayUnit::for_values("%", 63.0).label, "%");
    }
}

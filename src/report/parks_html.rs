//! The parks section of `report.html`, written straight into a string, each park on
//! its own thread. A template engine spent 90 of the 120 ms a medium run took to
//! draw its thousand charts evaluating a hundred expressions per chart.
//!
//! The page's other parts stay in `page.html`; this section is the same HTML the
//! template `parks.html` gave (its numbers as it printed them: `320.0`, rounded to
//! one decimal half to even, text escaped as it escaped it), byte for byte.

use std::fmt::Write;

use rayon::prelude::*;

use super::chart::Chart;
use super::{ChartView, Park};

/// The whole section: a legend naming the main indicators, then every park's charts.
pub fn section(main_names: &[String], parks: &[Park]) -> String {
    let drawn: Vec<String> = parks.par_iter().map(park).collect();
    let mut out = String::with_capacity(drawn.iter().map(String::len).sum::<usize>() + 1024);
    out.push_str("<section id=\"parks\">\n<h2>园区图表 Parks</h2>\n<p class=\"legend\">主要指标 Main indicators: ");
    text(&mut out, &main_names.join("、"));
    out.push_str("。<span class=\"sw\" style=\"background:var(--month)\"></span>当月 month <span class=\"sw\" style=\"background:var(--ytd);height:3px\"></span>累计 year-to-date <span class=\"sw\" style=\"border-top:2px dashed var(--yoy);height:0\"></span>累计同比 yoy % (right axis) <span class=\"sw\" style=\"background:var(--flag);width:8px;border-radius:4px\"></span>被检查标记 flagged</p>\n");
    for d in drawn {
        out.push_str(&d);
    }
    out.push_str("\n</section>");
    out
}

fn park(p: &Park) -> String {
    let mut out = String::with_capacity(4096 * (p.charts.len() + 1));
    out.push_str("\n<h3 id=\"park-");
    text(&mut out, &p.entity_id);
    out.push_str("\">");
    text(&mut out, &p.entity_name);
    out.push_str("</h3>\n<div class=\"grid\">\n");
    for c in &p.charts {
        figure(&mut out, p, c);
    }
    out.push_str("</div>\n");
    out
}

fn figure(out: &mut String, p: &Park, c: &ChartView) {
    out.push_str("<figure class=\"chart");
    if c.flagged {
        out.push_str(" flagged");
    }
    out.push_str("\" id=\"");
    text(out, &c.anchor);
    out.push_str("\" data-entity=\"");
    text(out, &c.entity_id);
    out.push_str("\" data-indicator=\"");
    text(out, &c.indicator);
    out.push_str("\" data-main=\"");
    out.push_str(if c.main { "1" } else { "0" });
    out.push_str("\">\n<figcaption>");
    text(out, &c.indicator_name);
    out.push_str(" <small>");
    match &c.chart {
        Some(g) => {
            year(out, c.year);
            out.push_str("年 · ");
            text(out, &g.unit.label);
        }
        None => text(out, &c.indicator),
    }
    out.push_str("</small></figcaption>\n");
    match &c.chart {
        Some(g) => svg(out, p, c, g),
        None => {
            out.push_str("<div class=\"empty\">无月度序列 no monthly series");
            if c.flagged {
                out.push_str(" — 见检查 see checks");
            }
            out.push_str("</div>\n");
        }
    }
    out.push_str("</figure>\n");
}

fn svg(out: &mut String, p: &Park, c: &ChartView, g: &Chart) {
    out.push_str("<svg viewBox=\"0 0 ");
    number(out, g.width);
    out.push(' ');
    number(out, g.height);
    out.push_str("\" role=\"img\" aria-label=\"");
    text(out, &p.entity_name);
    out.push(' ');
    text(out, &c.indicator_name);
    out.push(' ');
    year(out, c.year);
    out.push_str("\">\n");
    for t in &g.y_ticks {
        across(out, g, t.pos, "#eef1f4");
        out.push_str("<text x=\"");
        number(out, g.plot_left - 4.0);
        out.push_str("\" y=\"");
        rounded(out, t.pos + 3.0);
        out.push_str("\" text-anchor=\"end\">");
        text(out, &t.label);
        out.push_str("</text>\n");
    }
    for t in &g.y2_ticks {
        out.push_str("<text x=\"");
        number(out, g.plot_right + 4.0);
        out.push_str("\" y=\"");
        rounded(out, t.pos + 3.0);
        out.push_str("\" style=\"fill:var(--yoy)\">");
        text(out, &t.label);
        out.push_str("</text>\n");
    }
    across(out, g, g.zero_y, "#8a94a3");
    out.push('\n');
    for b in &g.bars {
        out.push_str("<rect x=\"");
        rounded(out, b.x);
        out.push_str("\" y=\"");
        rounded(out, b.y);
        out.push_str("\" width=\"");
        rounded(out, b.w);
        out.push_str("\" height=\"");
        rounded(out, b.h);
        out.push_str("\" fill=\"var(--month)\"><title>");
        text(out, &b.tip);
        out.push_str("</title></rect>\n");
    }
    if !g.ytd_points.is_empty() {
        out.push_str("<path d=\"");
        text(out, &g.ytd_path);
        out.push_str("\" fill=\"none\" stroke=\"var(--ytd)\" stroke-width=\"2\"/>\n");
        points(out, &g.ytd_points, "2.5", "var(--ytd)");
    }
    if g.has_yoy {
        out.push_str("<path d=\"");
        text(out, &g.yoy_path);
        out.push_str(
            "\" fill=\"none\" stroke=\"var(--yoy)\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\n",
        );
        points(out, &g.yoy_points, "2", "var(--yoy)");
    }
    for f in &g.flags {
        let _ = write!(
            out,
            "<g class=\"flag\" data-month=\"{}\"><circle cx=\"",
            f.month
        );
        rounded(out, f.x);
        out.push_str("\" cy=\"");
        rounded(out, f.y);
        out.push_str("\" r=\"4\" fill=\"var(--flag)\"/><line x1=\"");
        rounded(out, f.x);
        out.push_str("\" x2=\"");
        rounded(out, f.x);
        out.push_str("\" y1=\"");
        rounded(out, f.y);
        out.push_str("\" y2=\"");
        number(out, g.plot_bottom);
        out.push_str("\" stroke=\"var(--flag)\" stroke-dasharray=\"2 2\"/><title>");
        text(out, &f.tip);
        out.push_str("</title></g>\n");
    }
    for t in &g.x_ticks {
        out.push_str("<text x=\"");
        rounded(out, t.pos);
        out.push_str("\" y=\"");
        number(out, g.height - 8.0);
        out.push_str("\" text-anchor=\"middle\">");
        text(out, &t.label);
        out.push_str("</text>\n");
    }
    out.push_str("</svg>\n");
}

/// A line across the plot at height `y`.
fn across(out: &mut String, g: &Chart, y: f64, stroke: &str) {
    out.push_str("<line x1=\"");
    number(out, g.plot_left);
    out.push_str("\" x2=\"");
    number(out, g.plot_right);
    out.push_str("\" y1=\"");
    rounded(out, y);
    out.push_str("\" y2=\"");
    rounded(out, y);
    let _ = write!(out, "\" stroke=\"{stroke}\"/>");
}

fn points(out: &mut String, points: &[super::chart::Point], r: &str, fill: &str) {
    for pt in points {
        out.push_str("<circle cx=\"");
        rounded(out, pt.x);
        out.push_str("\" cy=\"");
        rounded(out, pt.y);
        let _ = write!(out, "\" r=\"{r}\" fill=\"{fill}\"><title>");
        text(out, &pt.tip);
        out.push_str("</title></circle>\n");
    }
}

/// A chart's year (a chart is drawn only for a series with one).
fn year(out: &mut String, y: Option<i32>) {
    match y {
        Some(y) => {
            let _ = write!(out, "{y}");
        }
        None => out.push_str("none"),
    }
}

/// Text in an attribute or element: `<>&"'/` as entities, the rest as is.
fn text(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let entity = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            b'/' => "&#x2f;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(entity);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// A float as the page has always printed it: Rust's shortest form, with `.0` on a
/// whole number.
fn number(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v < 0.0 { "-inf" } else { "inf" });
    } else {
        let start = out.len();
        let _ = write!(out, "{v}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
    }
}

/// A coordinate to one decimal, rounded as its decimal form is (half to even on the
/// printed digits), then printed as [`number`] prints.
fn rounded(out: &mut String, v: f64) {
    // A chart has ~100 coordinates; printed exactly, parsed and printed again, they took
    // most of the section's time. Away from a tie, `v * 10` rounded is the digits the
    // exact decimal form rounds to (below 1e7 the product is within 1e-9 of it), and printed
    // shortest they read `whole.tenth`.
    let t = v.abs() * 10.0;
    if t < 1e7 {
        let below = t.trunc();
        let over = t - below;
        if (over - 0.5).abs() > 1e-6 {
            let tenths = below as u64 + u64::from(over > 0.5);
            if v.is_sign_negative() {
                out.push('-');
            }
            let _ = write!(out, "{}.{}", tenths / 10, tenths % 10);
            return;
        }
    }
    rounded_exactly(out, v);
}

/// [`rounded`] by printing: for ties, huge numbers, NaN and infinities.
fn rounded_exactly(out: &mut String, v: f64) {
    let mut buf = String::with_capacity(24);
    let _ = write!(buf, "{v:.1}");
    number(out, buf.parse().unwrap_or(v));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the page's template engine prints for `expr` with `x` bound to `v`.
    fn engine(expr: &str, v: minijinja::Value) -> String {
        let source = format!("{{{{ {expr} }}}}");
        let mut env = minijinja::Environment::new();
        env.add_template("t.html", &source).unwrap();
        env.get_template("t.html")
            .unwrap()
            .render(minijinja::context! { x => v })
            .unwrap()
    }

    fn printed(f: fn(&mut String, f64), v: f64) -> String {
        let mut s = String::new();
        f(&mut s, v);
        s
    }

    #[test]
    fn numbers_print_as_the_template_engine_prints_them() {
        let values = [
            320.0,
            42.5,
            -0.0,
            0.0,
            1e21,
            1e-7,
            12.34,
            0.25,
            0.35,
            -0.04,
            99.96,
            166.05,
            -12.25,
            123456.789,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for v in values {
            let x = minijinja::Value::from(v);
            assert_eq!(printed(number, v), engine("x", x.clone()), "{v}");
            assert_eq!(printed(rounded, v), engine("x|round(1)", x), "{v} rounded");
        }
        assert_eq!(printed(number, 320.0 - 4.0), engine("x - 4", 320.0.into()));
    }

    proptest::proptest! {
        /// The quick path prints what printing exactly prints: any float, coordinates
        /// of a chart, and values a hair from a tie.
        #[test]
        fn rounding_quickly_prints_as_rounding_exactly(
            any in proptest::num::f64::ANY,
            coordinate in -1000.0f64..1000.0,
            tenths in -100_000i64..100_000,
            hair in -3i32..=3,
        ) {
            let near_tie = (tenths as f64 + 0.5) / 10.0 + f64::from(hair) * 1e-12;
            for v in [any, coordinate, near_tie, (tenths as f64) / 10.0] {
                proptest::prop_assert_eq!(printed(rounded, v), printed(rounded_exactly, v), "{}", v);
            }
        }
    }

    #[test]
    fn text_is_escaped_as_the_template_engine_escapes_it() {
        let raw = "a<b>&\"c'/ 亿元 — 1-8月";
        let mut s = String::new();
        text(&mut s, raw);
        assert_eq!(s, engine("x", raw.into()));
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c&#x27;&#x2f; 亿元 — 1-8月");
    }
}

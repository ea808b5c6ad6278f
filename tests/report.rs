//! report.html: self-contained (nothing fetched), every check and reject on it, one
//! chart per park and main indicator, redrawn identically by `parkstat report`, and
//! rendered by headless Chromium without a single network request.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const MAIN: [&str; 5] = [
    "industrial_output",
    "revenue",
    "tax_revenue",
    "fixed_asset_investment",
    "industrial_electricity",
];

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// Minimal HTML escaping as the page applies it, to find a message in the page source.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

#[test]
fn report_is_self_contained_and_complete_and_redrawn_identically() {
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let path = s.current().join("report.html");
    let html = std::fs::read_to_string(&path).expect("every run writes report.html");
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains(" src="));
    assert!(html.contains("<svg") && html.contains("<style>"));

    let checks = read_parquet(&s.current().join("checks.parquet"));
    assert!(checks.height() > 0);
    assert_eq!(count(&html, "<li class=\"check "), checks.height());
    for m in strings(&checks, "message").into_iter().flatten() {
        assert!(html.contains(&escaped(&m)), "check missing: {m}");
    }
    let rejects = read_parquet(&s.current().join("rejects.parquet"));
    assert_eq!(count(&html, "<tr class=\"reject\">"), rejects.height());
    for l in strings(&rejects, "locator").into_iter().flatten() {
        assert!(
            html.contains(&format!("<code>{}</code>", escaped(&l))),
            "reject missing: {l}"
        );
    }

    // A correction, then a rerun: the page lists the change since the previous run,
    // found beside derive on two threads and in turn with `--jobs 1`.
    for (value, jobs) in [("89.9", "1"), ("88.9", "2")] {
        std::fs::write(
            s.path().join("data/corrections/2024-11.csv"),
            format!("entity,indicator,year,period,value,unit,yoy_pct,reason,author\njz_hitech,营业收入,2024,1-8月,{value},亿元,,测试更正,测试员\n"),
        )
        .unwrap();
        let out = parkstat()
            .args(["run", "--jobs", jobs])
            .arg(s.pipeline())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let html = std::fs::read_to_string(s.current().join("report.html")).unwrap();
        assert_eq!(
            count(&html, "<tr class=\"change changed\">"),
            1,
            "--jobs {jobs}"
        );
        let cents = value.replace('.', "");
        assert!(html.contains(&format!("{cents}0000000")), "--jobs {jobs}");
    }

    // `parkstat report` redraws the current run from its Parquet tables, byte for byte.
    let drawn = std::fs::read(s.current().join("report.html")).unwrap();
    std::fs::remove_file(s.current().join("report.html")).unwrap();
    let out = parkstat()
        .args(["report", "--pipeline"])
        .arg(s.pipeline())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(s.current().join("report.html")).unwrap(),
        drawn
    );
}

/// Debian's Chromium, installed here when missing and we may (root); otherwise the test
/// fails with what to do, unless PARKSTAT_ALLOW_NO_CHROMIUM=1 says to skip it.
fn chromium() -> Option<&'static str> {
    let bin = "/usr/bin/chromium";
    if Path::new(bin).exists() {
        return Some(bin);
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        let ok = Command::new("sh")
            .args([
                "-c",
                "DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null",
            ])
            .status()
            .is_ok_and(|s| s.success());
        if ok && Path::new(bin).exists() {
            return Some(bin);
        }
    }
    if std::env::var("PARKSTAT_ALLOW_NO_CHROMIUM").as_deref() == Ok("1") {
        eprintln!("SKIPPED: headless Chromium test (no /usr/bin/chromium, cannot install it)");
        return None;
    }
    panic!("the report test needs Debian's chromium: run as root (it installs it) or `apt-get install chromium`; PARKSTAT_ALLOW_NO_CHROMIUM=1 skips it");
}

/// The DOM Chromium builds from `page`, and every http(s) request the page (not the
/// browser's own update pings, whose initiator is "not an origin") asked for.
fn render(bin: &str, page: &Path, work: &Path) -> (String, Vec<String>) {
    let netlog = work.join("net.json");
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.join("profile").display()
        ))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&netlog).expect("chromium wrote its net log");
    let log: serde_json::Value = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .next()
        .and_then(Result::ok)
        .or_else(|| {
            serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))).ok()
        })
        .expect("a readable net log");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    let requests = log["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == start_job)
        .filter(|e| e["params"]["initiator"] != "not an origin")
        .filter_map(|e| e["params"]["url"].as_str())
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), requests)
}

#[test]
fn report_renders_in_headless_chromium_without_network_requests() {
    let Some(bin) = chromium() else { return };
    let s = Scratch::new();
    assert_eq!(s.run(&[]).status.code(), Some(0));
    let work = tempfile::tempdir().unwrap();

    // The detector itself: a page that fetches is caught.
    let bad = work.path().join("bad.html");
    std::fs::write(
        &bad,
        "<html><body><img src=\"http://192.0.2.1/x.png\"></body></html>",
    )
    .unwrap();
    let (_, requests) = render(bin, &bad, &work.path().join("a"));
    assert_eq!(requests, ["http://192.0.2.1/x.png"]);

    let page = std::fs::canonicalize(s.current().join("report.html")).unwrap();
    let (dom, requests) = render(bin, &page, &work.path().join("b"));
    assert!(requests.is_empty(), "the report fetched {requests:?}");

    // One chart per park and main indicator.
    let facts = read_parquet(&s.current().join("facts.parquet"));
    let mut parks: Vec<String> = strings(&facts, "entity_id").into_iter().flatten().collect();
    parks.sort();
    parks.dedup();
    assert_eq!(parks.len(), 4);
    for p in &parks {
        for i in MAIN {
            let tag = format!("data-entity=\"{p}\" data-indicator=\"{i}\" data-main=\"1\"");
            assert_eq!(count(&dom, &tag), 1, "chart {p} {i}");
        }
    }
    assert_eq!(count(&dom, "data-main=\"1\""), parks.len() * MAIN.len());
    // Charts are drawn where there is a series: bars and lines, and the flagged month marked.
    assert!(count(&dom, "<svg") >= 16);
    assert!(dom.contains("class=\"flag\""));
    // Every check and reject is in the rendered page.
    let checks = read_parquet(&s.current().join("checks.parquet"));
    assert_eq!(count(&dom, "<li class=\"check "), checks.height());
    let rejects = read_parquet(&s.current().join("rejects.parquet"));
    assert_eq!(count(&dom, "<tr class=\"reject\">"), rejects.height());
}

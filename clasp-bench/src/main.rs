//! `clasp-bench`: clasp against rustls 0.23 (both on aws-lc-rs) and OpenSSL 3 (the system
//! libssl, its own primitives), in one process run.
//!
//! Run with `cargo run --release -p clasp-bench` (`-- --help` for options). Every scenario runs
//! clasp, rustls and OpenSSL in turn, run after run, so a change in machine load hits all three;
//! the table reports the median and the best run, and the clasp ÷ rustls and clasp ÷ OpenSSL
//! ratios of the medians. See
//! README.md for what each number means. `cargo test -p clasp-bench` runs each scenario once
//! with tiny sizes and checks that it works; it asserts nothing about time.

mod alloc;
mod breakdown;
mod compression;
mod endpoint;
mod kinds;
mod marvin;
mod scenarios;
mod setup;

#[cfg(test)]
#[path = "../../fuzz/src/lib.rs"]
mod fuzz_bodies;

use std::process::ExitCode;
use std::time::Duration;

use kinds::{FloorKit, Kind, KINDS};
use scenarios::{bulk, handshakes_resuming, idle_memory, raw_seal, raw_seal_openssl, Memory};
use setup::{clasp_configs, openssl_configs, rustls_configs, Pki, Suite};

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

/// How much work each scenario does.
#[derive(Debug, Clone, Copy)]
struct Params {
    /// Timed runs per scenario and stack (after one warm-up).
    runs: usize,
    /// Handshakes per run.
    handshakes: usize,
    /// Bulk transfer size per run, bytes.
    bulk_bytes: usize,
    /// Connection pairs held for the memory measurement.
    pairs: usize,
    /// Bytes sent each way before the "after transfer" memory measurement.
    mem_transfer: usize,
    /// Run only the handshake rows (for profiling the handshake alone).
    handshake_only: bool,
    /// Run only this stack's handshakes, untimed table-less (for instruction counts per stack).
    only_stack: Option<&'static str>,
    /// Print only the itemised memory of one idle clasp client and server.
    memory_breakdown: bool,
    /// Only this handshake kind (`Kind::id`); all kinds when `None`.
    kind: Option<&'static str>,
    /// Print the table as JSON instead of Markdown.
    json: bool,
}

impl Params {
    const FULL: Self = Self {
        runs: 11,
        handshakes: 500,
        bulk_bytes: 64 << 20,
        pairs: 100,
        mem_transfer: 1 << 20,
        handshake_only: false,
        only_stack: None,
        memory_breakdown: false,
        kind: None,
        json: false,
    };
    /// Every row, a tiny number of times: checks that the bench runs (CI), measures nothing.
    const QUICK: Self = Self {
        runs: 1,
        handshakes: 2,
        bulk_bytes: 256 << 10,
        pairs: 2,
        mem_transfer: 64 << 10,
        handshake_only: false,
        only_stack: None,
        memory_breakdown: false,
        kind: None,
        json: false,
    };
    #[cfg(test)]
    const TINY: Self = Self {
        handshakes: 1,
        bulk_bytes: 128 << 10,
        ..Self::QUICK
    };
}

const USAGE: &str = "\
clasp-bench: clasp vs rustls 0.23 (both on aws-lc-rs) vs OpenSSL (system libssl), one run

USAGE: cargo run --release -p clasp-bench -- [OPTIONS]

OPTIONS:
  --quick           every row a tiny number of times (1 run, 2 handshakes, 256 KiB): checks
                    that the bench runs (CI); its figures mean nothing
  --json            print the table as JSON (rows with medians in µs, CPU, load average)
  --kind ID         only this handshake kind (see the ids below)
  --runs N          timed runs per scenario and stack (default 11)
  --handshakes N    handshakes per run (default 500)
  --mib N           bulk transfer size in MiB (default 64)
  --pairs N         idle connection pairs for the memory rows (default 100)
  --only handshake  run only the handshake rows (e.g. under valgrind --tool=callgrind)
  --only clasp-handshakes | rustls-handshakes | openssl-handshakes
                    run only that stack's handshakes of --kind ID (default the first kind;
                    --handshakes N of them, no warm-up, no table): for instruction counts per
                    stack, compare two values of N
  --only floor      the same for --kind ID's primitive floor (the public-key operations
                    alone): protocol overhead in instructions = stack − floor
  --only memory-breakdown
                    itemise the memory of one idle clasp client and server after the handshake
                    and check the parts against the counting allocator
  -h, --help        this text

clasp-bench marvin [--samples N]
                    time the server's handling of RSA ClientKeyExchange messages of five
                    PKCS#1 v1.5 plaintext classes (N each, default 2000) and report
                    Kruskal-Wallis and Mann-Whitney rank tests (see README.md)

clasp-bench cert-compression [--handshakes N]
                    certificate compression (RFC 8879) with a 3-certificate RSA chain: the
                    server's first flight in bytes and clasp <-> clasp handshake time (N each,
                    default 200), uncompressed and with brotli, zstd and zlib
";

fn parse_args() -> Result<Option<Params>, String> {
    let mut p = Params::FULL;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .filter(|n: &usize| *n > 0)
                .ok_or_else(|| format!("{name} needs a positive number"))
        };
        match a.as_str() {
            "--quick" => {
                p = Params {
                    json: p.json,
                    kind: p.kind,
                    ..Params::QUICK
                }
            }
            "--json" => p.json = true,
            "--kind" => {
                let id = args.next().unwrap_or_default();
                match KINDS.iter().find(|k| k.id == id) {
                    Some(k) => p.kind = Some(k.id),
                    None => return Err(format!("--kind: unknown kind {id:?}\n\n{USAGE}")),
                }
            }
            "--runs" => p.runs = num("--runs")?,
            "--handshakes" => p.handshakes = num("--handshakes")?,
            "--mib" => p.bulk_bytes = num("--mib")? << 20,
            "--pairs" => p.pairs = num("--pairs")?,
            "--only" => match args.next().as_deref() {
                Some("handshake") => p.handshake_only = true,
                Some("clasp-handshakes") => p.only_stack = Some("clasp"),
                Some("rustls-handshakes") => p.only_stack = Some("rustls"),
                Some("openssl-handshakes") => p.only_stack = Some("openssl"),
                Some("floor") => p.only_stack = Some("floor"),
                Some("memory-breakdown") => p.memory_breakdown = true,
                _ => return Err(format!("--only: unknown scenario\n\n{USAGE}")),
            },
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    Ok(Some(p))
}

/// Median and extremes of a set of runs.
#[derive(Debug, Clone, Copy)]
struct Stat {
    median: f64,
    min: f64,
    max: f64,
}

impl Stat {
    fn of(mut v: Vec<f64>) -> Self {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = match n {
            0 => f64::NAN,
            _ if n % 2 == 1 => v[n / 2],
            _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        };
        Self {
            median,
            min: v.first().copied().unwrap_or(f64::NAN),
            max: v.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// Medians behind a handshake row, µs (for `--json`).
#[derive(Debug, Clone, Copy)]
struct Medians {
    clasp: f64,
    rustls: Option<f64>,
    openssl: Option<f64>,
    floor: f64,
}

/// One line of the table.
#[derive(Debug, Clone)]
struct Row {
    scenario: String,
    metric: String,
    clasp: String,
    rustls: String,
    openssl: String,
    /// clasp ÷ rustls.
    ratio: String,
    /// clasp ÷ OpenSSL.
    ratio_openssl: String,
    /// The primitive floor (handshake rows; "—" elsewhere).
    floor: String,
    /// Protocol overhead, (clasp − floor) ÷ (rustls − floor) (handshake rows; "—" elsewhere).
    overhead: String,
    /// The medians, where the row has them.
    medians: Option<Medians>,
}

impl Row {
    /// `cells`: clasp, rustls, OpenSSL; `ratios`: clasp ÷ rustls, clasp ÷ OpenSSL.
    fn new(scenario: &str, metric: &str, cells: [String; 3], ratios: [String; 2]) -> Self {
        let [clasp, rustls, openssl] = cells;
        let [ratio, ratio_openssl] = ratios;
        Self {
            scenario: scenario.into(),
            metric: metric.into(),
            clasp,
            rustls,
            openssl,
            ratio,
            ratio_openssl,
            floor: "—".into(),
            overhead: "—".into(),
            medians: None,
        }
    }
}

fn us(d: Duration, n: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let n = n as f64;
    d.as_secs_f64() * 1e6 / n
}

/// MB/s (10^6 bytes per second).
fn mbps(bytes: usize, d: Duration) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let b = bytes as f64;
    b / 1e6 / d.as_secs_f64()
}

/// Time-like stat (lower is better): "median (min)".
fn fmt_time(s: Stat) -> String {
    format!("{:.1} ({:.1})", s.median, s.min)
}

/// Throughput stat (higher is better): "median (max)".
fn fmt_rate(s: Stat) -> String {
    format!("{:.0} ({:.0})", s.median, s.max)
}

fn ratio(x: f64) -> String {
    format!("{x:.2}")
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Column `i` of per-run vectors, as a stat.
fn col(v: &[Vec<f64>], i: usize) -> Stat {
    Stat::of(v.iter().map(|r| r[i]).collect())
}

fn kinds(p: &Params) -> impl Iterator<Item = Kind> + '_ {
    KINDS
        .iter()
        .copied()
        .filter(|k| p.kind.is_none_or(|id| id == k.id))
}

/// Every handshake kind: client and server rows, each with the three stacks, the primitive
/// floor, and the ratios. Per run: floor, clasp, rustls, OpenSSL in turn, so load changes hit
/// all of them.
fn handshake_rows(p: &Params, pki: &Pki, rows: &mut Vec<Row>) -> Result<(), String> {
    let kit = FloorKit::new(pki);
    let n = p.handshakes;
    let per_run = |t: scenarios::HandshakeTimes| vec![us(t.client, n), us(t.server, n)];
    for kind in kinds(p) {
        let c = kinds::clasp_configs(pki, kind);
        let r = kinds::rustls_configs(pki, kind);
        let o = kinds::openssl_stack(pki, kind);
        let floor = |kit: &FloorKit| {
            kit.measure(kind, n)
                .map(|f| vec![us(f.client, n), us(f.server, n)])
        };
        let (mut vf, mut vc, mut vr, mut vo) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // One untimed warm-up each, then the timed runs.
        for run in 0..=p.runs {
            let f = floor(&kit).map_err(|e| format!("{}: floor: {e}", kind.id))?;
            let a = handshakes_resuming(&c, n, kind.resumed)
                .map(per_run)
                .map_err(|e| format!("{}: clasp: {e}", kind.id))?;
            let b = r
                .as_ref()
                .map(|r| handshakes_resuming(r, n, kind.resumed).map(per_run))
                .transpose()
                .map_err(|e| format!("{}: rustls: {e}", kind.id))?;
            let d = o
                .as_ref()
                .map(|o| handshakes_resuming(o, n, kind.resumed).map(per_run))
                .transpose()
                .map_err(|e| format!("{}: openssl: {e}", kind.id))?;
            if run > 0 {
                vf.push(f);
                vc.push(a);
                vr.extend(b);
                vo.extend(d);
            }
        }
        for (i, metric) in ["client side, µs", "server side, µs"].iter().enumerate() {
            let (f, a) = (col(&vf, i), col(&vc, i));
            let b = (!vr.is_empty()).then(|| col(&vr, i));
            let o = (!vo.is_empty()).then(|| col(&vo, i));
            let dash = || "—".to_string();
            let mut row = Row::new(
                kind.name,
                metric,
                [
                    fmt_time(a),
                    b.map_or_else(dash, fmt_time),
                    o.map_or_else(dash, fmt_time),
                ],
                [
                    b.map_or_else(dash, |b| ratio(a.median / b.median)),
                    o.map_or_else(dash, |o| ratio(a.median / o.median)),
                ],
            );
            row.floor = format!("{:.1}", f.median);
            // The repeat-visit kind skips a primitive (the chain) on clasp's side only, so
            // "overhead" over the common floor means nothing there.
            if !kind.chain_cache {
                if let Some(b) = b {
                    row.overhead = ratio((a.median - f.median) / (b.median - f.median));
                }
            }
            row.medians = Some(Medians {
                clasp: a.median,
                rustls: b.map(|b| b.median),
                openssl: o.map(|o| o.median),
                floor: f.median,
            });
            rows.push(row);
        }
    }
    Ok(())
}

fn bulk_rows(p: &Params, pki: &Pki, rows: &mut Vec<Row>) -> Result<(), String> {
    let total = p.bulk_bytes;
    for (suite, aead) in [
        (
            Suite::Aes128Gcm,
            &clasp::crypto::aws_lc::AES_128_GCM as &dyn clasp::crypto::Aead,
        ),
        (
            Suite::Chacha20Poly1305,
            &clasp::crypto::aws_lc::CHACHA20_POLY1305,
        ),
    ] {
        let c = clasp_configs(pki, suite);
        let r = rustls_configs(pki, suite);
        let o = openssl_configs(pki, suite, false);
        let per_run = |t: scenarios::BulkTimes| vec![mbps(total, t.send), mbps(total, t.recv)];
        // The ceiling (raw seal of 16 KiB records, same byte count) is measured inside each run,
        // next to the three stacks, so load or clock changes move them all together.
        // OpenSSL's ceiling is libcrypto's own seal, measured the same way.
        raw_seal(aead, total)?;
        raw_seal_openssl(suite, total)?;
        bulk(&c, total, false)?;
        bulk(&r, total, false)?;
        bulk(&o, total, false)?;
        let (mut raw, mut raw_o) = (Vec::new(), Vec::new());
        let (mut vc, mut vr, mut vo) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..p.runs {
            raw.push(mbps(total, raw_seal(aead, total)?));
            raw_o.push(mbps(total, raw_seal_openssl(suite, total)?));
            vc.push(per_run(bulk(&c, total, false)?));
            vr.push(per_run(bulk(&r, total, false)?));
            vo.push(per_run(bulk(&o, total, false)?));
        }
        // Per run: each side as a fraction of that run's raw seal rate.
        let pct = |v: &[Vec<f64>], raw: &[f64], i: usize| {
            Stat::of(v.iter().zip(raw).map(|(x, r)| 100.0 * x[i] / r).collect())
        };
        let raw_stat = Stat::of(raw.clone());
        let raw_o_stat = Stat::of(raw_o.clone());
        let sc = format!("bulk {} MiB client → server, {}", total >> 20, suite.name());
        rows.push(Row::new(
            &sc,
            "raw AEAD seal, 16 KiB records, MB/s (ceiling: aws-lc-rs; OpenSSL: libcrypto)",
            [fmt_rate(raw_stat), fmt_rate(raw_stat), fmt_rate(raw_o_stat)],
            ["—".into(), "—".into()],
        ));
        for (i, side) in ["send", "receive"].iter().enumerate() {
            let (a, b, o) = (col(&vc, i), col(&vr, i), col(&vo, i));
            rows.push(Row::new(
                &sc,
                &format!("{side} side, MB/s"),
                [fmt_rate(a), fmt_rate(b), fmt_rate(o)],
                // As a time ratio, like every other row: peer rate ÷ clasp rate.
                [ratio(b.median / a.median), ratio(o.median / a.median)],
            ));
            rows.push(Row::new(
                &sc,
                &format!("{side} side, % of raw AEAD seal"),
                [
                    format!("{:.0}%", pct(&vc, &raw, i).median),
                    format!("{:.0}%", pct(&vr, &raw, i).median),
                    format!("{:.0}%", pct(&vo, &raw_o, i).median),
                ],
                ["—".into(), "—".into()],
            ));
        }
    }
    Ok(())
}

fn memory_rows(p: &Params, pki: &Pki, rows: &mut Vec<Row>) -> Result<(), String> {
    let c = clasp_configs(pki, Suite::Aes128Gcm);
    let r = rustls_configs(pki, Suite::Aes128Gcm);
    // The OpenSSL column frees idle record buffers (SSL_MODE_RELEASE_BUFFERS, as servers that
    // hold many connections set it); extra rows show OpenSSL's default, which keeps them.
    let o = openssl_configs(pki, Suite::Aes128Gcm, true);
    let od = openssl_configs(pki, Suite::Aes128Gcm, false);
    // Warm up each (lazy statics, first-use allocations) before measuring.
    idle_memory(&c, 1, p.mem_transfer)?;
    idle_memory(&r, 1, p.mem_transfer)?;
    idle_memory(&o, 1, p.mem_transfer)?;
    idle_memory(&od, 1, p.mem_transfer)?;
    for (when, transfer) in [
        ("after handshake", 0),
        ("after transfer, drained", p.mem_transfer),
    ] {
        let mc = idle_memory(&c, p.pairs, transfer)?;
        let mr = idle_memory(&r, p.pairs, transfer)?;
        let mo = idle_memory(&o, p.pairs, transfer)?;
        let mod_ = idle_memory(&od, p.pairs, transfer)?;
        let sc = if transfer == 0 {
            format!("idle connection memory {when} (OpenSSL: SSL_MODE_RELEASE_BUFFERS)")
        } else {
            format!(
                "idle connection memory {when} ({} KiB each way; OpenSSL: SSL_MODE_RELEASE_BUFFERS)",
                transfer >> 10
            )
        };
        let bytes = |x: f64| format!("{x:.0}");
        // The Rust heap misses OpenSSL's own allocations (it allocates with malloc), so that
        // row's OpenSSL cell is only the Rust wrapper (`SslStream`, its BIO state) and gets no
        // ratio; the C heap rows are the comparable ones.
        let rust_line = |side: &str, f: fn(&Memory) -> f64| {
            Row::new(
                &sc,
                &format!("{side}, Rust heap + struct, bytes"),
                [bytes(f(&mc)), bytes(f(&mr)), bytes(f(&mo))],
                [ratio(f(&mc) / f(&mr)), "—".into()],
            )
        };
        let c_line = |side: &str, f: fn(&Memory) -> f64| {
            Row::new(
                &sc,
                &format!("{side}, C heap (malloc, incl. aws-lc / libssl) + struct, bytes"),
                [bytes(f(&mc)), bytes(f(&mr)), bytes(f(&mo))],
                [ratio(f(&mc) / f(&mr)), ratio(f(&mc) / f(&mo))],
            )
        };
        let default_line = |side: &str, f: fn(&Memory) -> f64| {
            Row::new(
                &sc,
                &format!("{side}, C heap + struct, OpenSSL without RELEASE_BUFFERS, bytes"),
                ["—".into(), "—".into(), bytes(f(&mod_))],
                ["—".into(), ratio(f(&mc) / f(&mod_))],
            )
        };
        rows.push(rust_line("client", |m| m.client_rust));
        rows.push(c_line("client", |m| m.client_malloc));
        rows.push(default_line("client", |m| m.client_malloc));
        rows.push(rust_line("server", |m| m.server_rust));
        rows.push(c_line("server", |m| m.server_malloc));
        rows.push(default_line("server", |m| m.server_malloc));
        let show = |b: Option<f64>| b.map_or_else(|| "n/a".into(), |b| format!("{b:.0}"));
        rows.push(Row::new(
            &sc,
            "client / server buffer_capacity(), bytes",
            [
                format!("{} / {}", show(mc.client_buffers), show(mc.server_buffers)),
                "n/a (no such API)".into(),
                "n/a (no such API)".into(),
            ],
            ["—".into(), "—".into()],
        ));
    }
    Ok(())
}

/// Runs every scenario and returns the table.
fn run(p: &Params) -> Result<Vec<Row>, String> {
    let pki = Pki::generate();
    let mut rows = Vec::new();
    if let Some(stack) = p.only_stack {
        let kind = kinds(p).next().ok_or("no such kind")?;
        let n = p.handshakes;
        let (res, name) = (kind.resumed, kind.id);
        let t = match stack {
            "clasp" => handshakes_resuming(&kinds::clasp_configs(&pki, kind), n, res)?,
            "floor" => {
                let f = kinds::FloorKit::new(&pki).measure(kind, n)?;
                scenarios::HandshakeTimes {
                    client: f.client,
                    server: f.server,
                }
            }
            "openssl" => handshakes_resuming(
                &kinds::openssl_stack(&pki, kind).ok_or("OpenSSL cannot do this kind")?,
                n,
                res,
            )?,
            _ => handshakes_resuming(
                &kinds::rustls_configs(&pki, kind).ok_or("rustls cannot do this kind")?,
                n,
                res,
            )?,
        };
        print!("{name}: ");
        println!(
            "{stack}: {n} handshakes, client {:.1} µs, server {:.1} µs each",
            us(t.client, n),
            us(t.server, n)
        );
        return Ok(rows);
    }
    handshake_rows(p, &pki, &mut rows)?;
    if p.handshake_only {
        return Ok(rows);
    }
    bulk_rows(p, &pki, &mut rows)?;
    memory_rows(p, &pki, &mut rows)?;
    Ok(rows)
}

/// "OpenSSL 3.0.19", from the libssl this process runs with.
fn openssl_name() -> String {
    let v = openssl::version::version();
    v.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

fn print_table(rows: &[Row]) {
    println!(
        "| scenario | metric | clasp | rustls 0.23 | {} | floor | clasp ÷ rustls | clasp ÷ OpenSSL | overhead ÷ rustls |",
        openssl_name()
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut last = "";
    for r in rows {
        let sc = if r.scenario == last { "" } else { &r.scenario };
        last = &r.scenario;
        println!(
            "| {sc} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.metric, r.clasp, r.rustls, r.openssl, r.floor, r.ratio, r.ratio_openssl, r.overhead
        );
    }
}

/// The CPU's model name (first `model name` of /proc/cpuinfo).
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

/// The table as one JSON document.
fn table_json(p: &Params, rows: &[Row], load_before: &str, load_after: &str) -> serde_json::Value {
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "scenario": r.scenario,
                "metric": r.metric,
                "clasp": r.clasp,
                "rustls": r.rustls,
                "openssl": r.openssl,
                "floor": r.floor,
                "clasp_over_rustls": r.ratio,
                "clasp_over_openssl": r.ratio_openssl,
                "overhead_over_rustls": r.overhead,
                "median_us": r.medians.map(|m| serde_json::json!({
                    "clasp": m.clasp,
                    "rustls": m.rustls,
                    "openssl": m.openssl,
                    "floor": m.floor,
                })),
            })
        })
        .collect();
    serde_json::json!({
        "cpu": cpu_model(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "openssl": openssl::version::version(),
        "runs": p.runs,
        "handshakes_per_run": p.handshakes,
        "bulk_bytes": p.bulk_bytes,
        "idle_pairs": p.pairs,
        "rows": rows,
    })
}

/// `clasp-bench cert-compression [--handshakes N]`.
fn compression_main(mut args: impl Iterator<Item = String>) -> ExitCode {
    let mut handshakes = 200;
    while let Some(a) = args.next() {
        match (
            a.as_str(),
            args.next().and_then(|v| v.parse::<usize>().ok()),
        ) {
            ("--handshakes", Some(n)) if n > 0 => handshakes = n,
            _ => {
                eprintln!("cert-compression: unknown argument {a:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: debug build; use `cargo run --release -p clasp-bench -- cert-compression`"
        );
    }
    println!("load average before: {}", loadavg());
    match compression::measure(handshakes) {
        Ok(rows) => {
            println!("load average after:  {}", loadavg());
            compression::print(&rows);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cert-compression: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `clasp-bench marvin [--samples N]`.
fn marvin_main(mut args: impl Iterator<Item = String>) -> ExitCode {
    let mut samples = 2000;
    while let Some(a) = args.next() {
        match (
            a.as_str(),
            args.next().and_then(|v| v.parse::<usize>().ok()),
        ) {
            ("--samples", Some(n)) if n > 0 => samples = n,
            _ => {
                eprintln!("marvin: unknown argument {a:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; use `cargo run --release -p clasp-bench -- marvin`");
    }
    println!("load average before: {}", loadavg());
    match marvin::measure(samples) {
        Ok(r) => {
            println!("load average after:  {}", loadavg());
            marvin::print(&r);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("marvin: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("marvin") {
        args.next();
        return marvin_main(args);
    }
    if args.peek().map(String::as_str) == Some("cert-compression") {
        args.next();
        return compression_main(args);
    }
    let p = match parse_args() {
        Ok(Some(p)) => p,
        Ok(None) => {
            print!("{USAGE}");
            println!("\nHANDSHAKE KINDS (--kind ID):");
            for k in KINDS {
                println!("  {:<28} {}", k.id, k.name);
            }
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; use `cargo run --release -p clasp-bench` for numbers");
    }
    let load_before = loadavg();
    if !p.json {
        println!(
            "clasp-bench: {} runs per scenario, {} handshakes per run, {} KiB bulk, {} idle pairs",
            p.runs,
            p.handshakes,
            p.bulk_bytes >> 10,
            p.pairs
        );
        println!("CPU: {}", cpu_model());
        println!("load average before: {load_before}");
    }
    if p.memory_breakdown {
        let pki = Pki::generate();
        return match breakdown::memory_breakdown(&clasp_configs(&pki, Suite::Aes128Gcm), p.pairs) {
            Ok((c, s)) => {
                println!();
                breakdown::print(&c, &s);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("benchmark failed: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let rows = match run(&p) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("benchmark failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let load_after = loadavg();
    if p.json {
        println!("{:#}", table_json(&p, &rows, &load_before, &load_after));
        return ExitCode::SUCCESS;
    }
    println!("load average after:  {load_after}");
    println!();
    println!("Floor: the same primitives called directly (aws-lc-rs, rustls-webpki), median µs;");
    println!("overhead ÷ rustls = (clasp − floor) ÷ (rustls − floor).");
    println!("Times: median (best run). Rates: median (best run). Ratios: clasp ÷ rustls and");
    println!("clasp ÷ OpenSSL of the medians as time or bytes (below 1.00 = clasp faster or");
    println!("smaller). {}", openssl::version::version());
    println!();
    print_table(&rows);
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Endpoint, Stack};
    use crate::scenarios::{connected, stream};
    use clasp::msgs::enums::CipherSuite;

    /// The whole benchmark, once, with tiny sizes: every scenario completes and every row has a
    /// number. (Nothing about time is asserted.)
    #[test]
    fn every_scenario_runs_once() {
        let rows = run(&Params::TINY).unwrap();
        // 2 rows per handshake kind, 2 suites × 5 bulk rows, 2 × 7 memory rows.
        assert_eq!(rows.len(), 2 * KINDS.len() + 10 + 14);
        for r in &rows {
            for cell in [
                &r.clasp,
                &r.rustls,
                &r.openssl,
                &r.ratio,
                &r.ratio_openssl,
                &r.floor,
                &r.overhead,
            ] {
                assert!(!cell.contains("NaN") && !cell.contains("inf"), "{r:?}");
            }
        }
    }

    fn check_stack<S: Stack>(stack: &S) {
        let t = handshakes_resuming(stack, 1, false).unwrap();
        assert!(t.client > Duration::ZERO && t.server > Duration::ZERO);

        // Bytes arrive, in order, both ways (stream verifies every byte against the pattern).
        let (mut c, mut s) = connected(stack).unwrap();
        assert!(!c.is_handshaking() && !s.is_handshaking());
        let (mut a, mut b) = (Duration::ZERO, Duration::ZERO);
        stream(&mut c, &mut s, 100_000, true, &mut a, &mut b).unwrap();
        stream(&mut s, &mut c, 70_000, true, &mut a, &mut b).unwrap();
        bulk(stack, 3 * scenarios::CHUNK + 17, true).unwrap();

        let m = idle_memory(stack, 2, 0).unwrap();
        assert!(m.client_rust > 0.0 && m.server_rust > 0.0, "{m:?}");
        let m = idle_memory(stack, 2, 50_000).unwrap();
        assert!(m.client_rust > 0.0 && m.server_rust > 0.0, "{m:?}");
    }

    #[test]
    fn each_stack_each_suite_handshakes_and_moves_bytes() {
        let pki = Pki::generate();
        for suite in [Suite::Aes128Gcm, Suite::Chacha20Poly1305] {
            let c = clasp_configs(&pki, suite);
            check_stack(&c);
            let (cc, _) = connected(&c).unwrap();
            assert!(cc.buffer_capacity().is_some());
            assert_eq!(
                cc.negotiated_cipher_suite(),
                Some(match suite {
                    Suite::Aes128Gcm => CipherSuite::TLS_AES_128_GCM_SHA256,
                    Suite::Chacha20Poly1305 => CipherSuite::TLS_CHACHA20_POLY1305_SHA256,
                })
            );
            let r = rustls_configs(&pki, suite);
            check_stack(&r);
            let (rc, _) = connected(&r).unwrap();
            assert!(rc.buffer_capacity().is_none());
            for release_buffers in [false, true] {
                let o = openssl_configs(&pki, suite, release_buffers);
                check_stack(&o);
                let (oc, os) = connected(&o).unwrap();
                assert_eq!(oc.cipher_name(), Some(suite.name()));
                assert_eq!(os.cipher_name(), Some(suite.name()));
                assert_eq!((oc.version(), os.version()), ("TLSv1.3", "TLSv1.3"));
            }
        }
    }

    /// The OpenSSL client really verifies the chain: a server whose leaf is not from the
    /// client's CA fails the handshake.
    #[test]
    fn openssl_client_verifies_the_server() {
        let (pki, other) = (Pki::generate(), Pki::generate());
        let good = openssl_configs(&pki, Suite::Aes128Gcm, false);
        assert!(connected(&good).is_ok());
        let wrong_ca = setup::Configs {
            client: openssl_configs(&other, Suite::Aes128Gcm, false).client,
            server: good.server.clone(),
        };
        let e = connected(&wrong_ca).unwrap_err();
        assert!(e.contains("certificate verify failed"), "{e}");
    }

    /// Every byte of an idle clasp connection's Rust heap is itemised, and what DESIGN says an
    /// idle connection must not hold (drained buffers, the server's copy of the ClientHello
    /// unless asked for) is zero.
    #[test]
    fn memory_breakdown_accounts_for_every_byte() {
        let pki = Pki::generate();
        let (c, s) =
            breakdown::memory_breakdown(&clasp_configs(&pki, Suite::Aes128Gcm), 2).unwrap();
        for b in [&c, &s] {
            assert_eq!(b.unaccounted(), 0, "{b:?}");
            assert!(b.measured_heap > 0, "{b:?}");
            for (label, n) in &b.parts {
                if label.contains("buffer") || label.contains("ClientHello") {
                    assert_eq!(*n, 0, "{label}: {b:?}");
                }
            }
        }
        // The client holds the server's certificate chain; the server got none.
        let certs = |b: &breakdown::Breakdown| {
            b.parts
                .iter()
                .find(|(l, _)| l.contains("peer certificates"))
                .map(|(_, n)| *n)
        };
        assert!(certs(&c).unwrap() > pki.chain[0].len());
        assert_eq!(certs(&s), Some(0));
    }

    #[test]
    fn raw_seal_covers_whole_records() {
        for aead in [
            &clasp::crypto::aws_lc::AES_128_GCM as &dyn clasp::crypto::Aead,
            &clasp::crypto::aws_lc::CHACHA20_POLY1305,
        ] {
            assert!(raw_seal(aead, 64 << 10).unwrap() > Duration::ZERO);
        }
        for suite in [Suite::Aes128Gcm, Suite::Chacha20Poly1305] {
            assert!(raw_seal_openssl(suite, 64 << 10).unwrap() > Duration::ZERO);
        }
    }

    /// Every kind handshakes on every stack that can do it, and the resumed kinds really
    /// resume (handshakes_resuming fails otherwise).
    #[test]
    fn every_kind_on_every_stack() {
        let pki = Pki::generate();
        for &kind in KINDS {
            let c = kinds::clasp_configs(&pki, kind);
            handshakes_resuming(&c, 2, kind.resumed).unwrap_or_else(|e| panic!("{e}"));
            if let Some(r) = kinds::rustls_configs(&pki, kind) {
                handshakes_resuming(&r, 2, kind.resumed)
                    .unwrap_or_else(|e| panic!("{}: rustls: {e}", kind.id));
            }
            if let Some(o) = kinds::openssl_stack(&pki, kind) {
                handshakes_resuming(&o, 2, kind.resumed)
                    .unwrap_or_else(|e| panic!("{}: openssl: {e}", kind.id));
            }
            kinds::FloorKit::new(&pki).measure(kind, 1).unwrap();
        }
    }

    #[test]
    fn stats_median_and_extremes() {
        let s = Stat::of(vec![5.0, 1.0, 3.0]);
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 5.0));
        let s = Stat::of(vec![4.0, 1.0, 3.0, 2.0]);
        assert_eq!(s.median, 2.5);
    }

    /// The fuzz targets' bodies (fuzz/src/lib.rs) on their seed corpora and on truncations and
    /// bit flips of each seed, so the targets are built and exercised on stable Rust.
    #[test]
    fn fuzz_bodies_on_seed_corpora() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
        type Body = fn(&[u8]);
        let targets: [(&str, Body); 7] = [
            ("message", fuzz_bodies::message),
            ("deframer", fuzz_bodies::deframer),
            ("client", fuzz_bodies::client),
            ("server", fuzz_bodies::server),
            ("handshake", fuzz_bodies::handshake),
            ("loaders", fuzz_bodies::loaders),
            ("ticket", fuzz_bodies::ticket),
        ];
        for (name, body) in targets {
            let dir = root.join(name);
            let mut seeds: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .collect();
            seeds.sort();
            assert!(!seeds.is_empty(), "no seeds for {name}");
            // Inputs the fuzzers once crashed on (fuzz/regressions/<target>/), replayed as
            // they are.
            let regressions = root.join("../regressions").join(name);
            if let Ok(dir) = std::fs::read_dir(&regressions) {
                for e in dir {
                    body(&std::fs::read(e.unwrap().path()).unwrap());
                }
            }
            for path in seeds {
                let seed = std::fs::read(&path).unwrap();
                body(&seed);
                // A few cheap mutations: every 7th prefix, and one bit flip every 13 bytes.
                for n in (0..seed.len()).step_by(7) {
                    body(&seed[..n]);
                }
                for i in (0..seed.len()).step_by(13) {
                    let mut m = seed.clone();
                    m[i] ^= 0x10;
                    body(&m);
                }
            }
        }
    }

    /// The `handshake` target's scenarios run to the end when nothing is mutated (so the
    /// fuzzer starts from complete exchanges), and the resumption scenarios really resume.
    #[test]
    fn fuzz_handshake_scenarios_complete() {
        use fuzz_bodies::scenario::{run, Scenario};
        for s in Scenario::ALL {
            let o = run(s, None);
            assert!(o.completed, "{s:?} did not complete: {o:?}");
            let resumes = matches!(s, Scenario::Tls13Resumed | Scenario::Tls12Resumed);
            assert_eq!(o.resumed, resumes, "{s:?}");
            assert!(!o.mutated, "{s:?}");
            // Every handshake sends at least ServerHello and two Finished messages.
            assert!(o.messages >= 3, "{s:?}: {:?}", o.types);
        }
    }

    /// Integrity, checked by the harness the fuzzer uses: flipping one bit of any message of
    /// the handshake proper (everything the Finished messages cover: RFC 8446 §4.4.4, RFC 5246
    /// §7.4.9) makes the handshake fail, in every scenario and at every message. Messages after
    /// the handshake (TLS 1.3 tickets, KeyUpdate, post-handshake auth) are only checked not to
    /// panic.
    #[test]
    fn fuzz_handshake_any_changed_message_fails() {
        use fuzz_bodies::scenario::{run, Scenario};
        for s in Scenario::ALL {
            let clean = run(s, None);
            let tls12 = matches!(
                s,
                Scenario::Tls12Full | Scenario::Tls12Mutual | Scenario::Tls12Resumed
            );
            // TLS 1.3: the handshake proper ends before the first NewSessionTicket (4) or
            // KeyUpdate (24). TLS 1.2: every message is covered (RFC 5077 §3.3 puts the
            // NewSessionTicket in the Finished hash).
            let covered = if tls12 {
                clean.types.len()
            } else {
                clean
                    .types
                    .iter()
                    .position(|t| *t == 4 || *t == 24)
                    .unwrap_or(clean.types.len())
            };
            for index in 0..clean.types.len() {
                for (op, operand) in [(2u8, &[0, 0, 0x01][..]), (3, &[0, 1, 0xff][..])] {
                    let o = run(s, Some((index, op, operand)));
                    // An XOR into an empty body (EndOfEarlyData, ServerHelloDone) changes
                    // nothing; the cut-and-append operation changes every message.
                    assert!(
                        o.mutated || op == 2,
                        "{s:?} message {index} was not changed"
                    );
                    if o.mutated && index < covered {
                        assert!(
                            !o.completed,
                            "{s:?}: op {op} on message {index} (type {}) went unnoticed",
                            clean.types[index]
                        );
                    }
                }
            }
        }
    }

    /// The deterministic fuzz provider makes a clasp ↔ clasp run byte-for-byte repeatable, so a
    /// recorded flight takes a fresh connection through the whole handshake: the `client` and
    /// `server` fuzz targets can start from deep states.
    #[test]
    fn fuzz_transcript_is_deterministic_and_replays() {
        let (to_server, to_client) = fuzz_bodies::transcript(b"fuzz seed");
        // The client's bytes repeat exactly (the server's NewSessionTicket may carry a time).
        assert_eq!(fuzz_bodies::transcript(b"fuzz seed").0, to_server);
        let c = fuzz_bodies::client_fed(&to_client).unwrap();
        assert!(
            !c.is_handshaking(),
            "client replay stopped at {:?}",
            c.error()
        );
        let s = fuzz_bodies::server_fed(&to_server).unwrap();
        assert!(
            !s.is_handshaking(),
            "server replay stopped at {:?}",
            s.error()
        );
    }

    /// Writes fuzz/corpus/{client,server}/clasp-transcript.bin. Run by hand after a change to
    /// what clasp sends: `cargo test -p clasp-bench -- --ignored write_fuzz_transcript_seeds`.
    #[test]
    #[ignore = "writes files; run by hand to refresh the fuzz seeds"]
    fn write_fuzz_transcript_seeds() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
        let (to_server, to_client) = fuzz_bodies::transcript(b"fuzz seed");
        std::fs::write(root.join("server/clasp-transcript.bin"), to_server).unwrap();
        std::fs::write(root.join("client/clasp-transcript.bin"), to_client).unwrap();
    }
}

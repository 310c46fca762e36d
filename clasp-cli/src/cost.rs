//! The cost of the handshake (issue 16 item 3): flights, bytes, time, and round trips before
//! the first application byte, all computed from what the tap recorded on the client's socket.
//!
//! A flight is a run of chunks in one direction. The TCP handshake is the first pair of
//! flights (SYN →, ← SYN-ACK; RFC 9293 §3.5); its bytes are TCP's, not TLS's, and not counted.
//! The client can send its first application byte only after every server flight it waited
//! for, so the round trips before it are the server flights (SYN-ACK included) that precede
//! the first client flight carrying application data. Because the tap sits on the client's
//! socket and the client reads only when it needs to, a flight the client did not wait for (a
//! NewSessionTicket racing its request) cannot be counted by mistake.

use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::i18n::{Lang, WireMsg};
use crate::ladder::Style;
use crate::wire::{Capture, Dir, Observation};

/// One flight.
#[derive(Debug, Clone, PartialEq)]
pub struct Flight {
    /// Direction.
    pub dir: Dir,
    /// TCP's SYN or SYN-ACK rather than TLS records.
    pub tcp: bool,
    /// When its first chunk was written or read.
    pub start: Duration,
    /// When its last chunk was written or read.
    pub end: Duration,
    /// TLS records in it.
    pub records: usize,
    /// Bytes on the wire (TLS records, headers included).
    pub bytes: usize,
    /// The first flight that carries application data (the demo's request).
    pub app: bool,
}

/// The cost of one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    /// Every flight, the TCP pair first.
    pub flights: Vec<Flight>,
    /// Round trips before the first application byte could be sent; `None` if none was.
    pub round_trips: Option<usize>,
    /// TCP connect, as measured.
    pub connect: Duration,
    /// From the start of the TCP connect to the end of the client's handshake.
    pub handshake: Option<Duration>,
    /// From the start of the TCP connect to the first application byte written.
    pub first_app: Option<Duration>,
    /// The simulated one-way delay (`--delay`).
    pub delay: Duration,
}

/// Computes the cost from the capture.
pub fn compute(cap: &Capture, o: &Observation) -> Cost {
    let mut flights = vec![
        Flight {
            dir: Dir::ClientToServer,
            tcp: true,
            start: Duration::ZERO,
            end: Duration::ZERO,
            records: 0,
            bytes: 0,
            app: false,
        },
        Flight {
            dir: Dir::ServerToClient,
            tcp: true,
            start: cap.connect,
            end: cap.connect,
            records: 0,
            bytes: 0,
            app: false,
        },
    ];
    for (i, c) in cap.chunks.iter().enumerate() {
        let f = o.chunk_flight.get(i).copied().unwrap_or_default() + 2;
        if flights.len() <= f {
            flights.push(Flight {
                dir: c.dir,
                tcp: false,
                start: c.at,
                end: c.at,
                records: 0,
                bytes: 0,
                app: false,
            });
        }
        if let Some(fl) = flights.get_mut(f) {
            fl.end = c.at;
            fl.bytes += c.len;
            fl.app |= c.app && c.dir == Dir::ClientToServer;
        }
    }
    for r in &o.records {
        if let Some(fl) = flights.get_mut(r.flight + 2) {
            fl.records += 1;
        }
    }
    let first_app_flight = flights.iter().position(|f| f.app);
    // Only the first one is marked: later client flights (close_notify) follow the request.
    for (i, f) in flights.iter_mut().enumerate() {
        f.app = Some(i) == first_app_flight;
    }
    let round_trips = first_app_flight.map(|i| {
        flights
            .iter()
            .take(i)
            .filter(|f| f.dir == Dir::ServerToClient)
            .count()
    });
    let first_app = cap
        .chunks
        .iter()
        .find(|c| c.app && c.dir == Dir::ClientToServer)
        .map(|c| c.at);
    Cost {
        flights,
        round_trips,
        connect: cap.connect,
        handshake: cap.handshake_done,
        first_app,
        delay: cap.delay,
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

impl Cost {
    /// The cost as text, printed after each ladder.
    pub fn text(&self, lang: Lang, st: Style) -> String {
        let mut t = String::new();
        let rt = self
            .round_trips
            .map_or_else(|| "?".to_string(), |n| n.to_string());
        t.push_str(&format!(
            "{} {}\n",
            st.bold(&format!("{}:", WireMsg::CostTitle.text(lang))),
            st.yellow(&format!("{}: {rt}", WireMsg::RoundTrips.text(lang)))
        ));
        // Milliseconds in the reader's language ("ms" is English in a Russian line).
        let unit = match lang {
            Lang::En => "ms",
            Lang::Ru => "мс",
        };
        let opt =
            |d: Option<Duration>| d.map_or_else(|| "-".into(), |d| format!("{:.1} {unit}", ms(d)));
        t.push_str(&format!(
            "  {}: {:.1} {unit}; {}: {}; {}: {}; {}: {} {unit}\n",
            WireMsg::TcpConnectTime.text(lang),
            ms(self.connect),
            WireMsg::HandshakeTime.text(lang),
            opt(self.handshake),
            WireMsg::FirstAppTime.text(lang),
            opt(self.first_app),
            WireMsg::Delay.text(lang),
            self.delay.as_millis()
        ));
        t.push_str(&format!(
            "  {:<4} {:<22} {:>10} {:>10} {:>8} {:>7}\n",
            "#",
            WireMsg::Direction.text(lang),
            WireMsg::Start.text(lang),
            WireMsg::End.text(lang),
            WireMsg::Records.text(lang),
            WireMsg::Bytes.text(lang),
        ));
        for (i, f) in self.flights.iter().enumerate() {
            let what = if f.tcp {
                if f.dir == Dir::ClientToServer {
                    " TCP SYN".to_string()
                } else {
                    " TCP SYN-ACK".to_string()
                }
            } else if f.app {
                format!(" {}", WireMsg::CarriesApp.text(lang))
            } else {
                String::new()
            };
            t.push_str(&format!(
                "  {:<4} {:<22} {:>7.1} {unit} {:>7.1} {unit} {:>8} {:>7}{what}\n",
                i + 1,
                f.dir.arrow(lang),
                ms(f.start),
                ms(f.end),
                f.records,
                f.bytes,
            ));
        }
        t
    }

    /// The cost as JSON.
    pub fn json(&self) -> Json {
        let flights: Vec<Json> = self
            .flights
            .iter()
            .map(|f| {
                json!({
                    "direction": f.dir.json(),
                    "tcp": f.tcp,
                    "start_ms": ms(f.start),
                    "end_ms": ms(f.end),
                    "records": f.records,
                    "bytes": f.bytes,
                    "first_application_data": f.app,
                })
            })
            .collect();
        json!({
            "round_trips_before_first_application_byte": self.round_trips,
            "tcp_connect_ms": ms(self.connect),
            "handshake_ms": self.handshake.map(ms),
            "first_application_byte_ms": self.first_app.map(ms),
            "delay_ms": u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX),
            "flights": flights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{observe, Chunk};

    fn chunk(dir: Dir, ms: u64, app: bool) -> Chunk {
        Chunk {
            dir,
            at: Duration::from_millis(ms),
            bytes: Vec::new(),
            len: 10,
            app,
            ladder_len: 0,
        }
    }

    /// TLS 1.2 full: CH; SH..SHD; CKE CCS Fin; CCS Fin; request → 3 with TCP.
    #[test]
    fn round_trips_are_the_server_flights_before_the_first_application_write() {
        use Dir::{ClientToServer as C, ServerToClient as S};
        let cap = Capture {
            chunks: vec![
                chunk(C, 1, false),
                chunk(S, 2, false),
                chunk(S, 3, false),
                chunk(C, 4, false),
                chunk(S, 5, false),
                chunk(C, 6, false),
                chunk(C, 6, true),
                chunk(S, 7, false),
            ],
            ..Capture::default()
        };
        let o = observe(&cap);
        let c = compute(&cap, &o);
        assert_eq!(c.round_trips, Some(3));
        assert_eq!(c.flights.len(), 2 + 6);
        // 0-RTT: the first write already carries application data.
        let cap = Capture {
            chunks: vec![chunk(C, 1, true), chunk(S, 2, false)],
            ..Capture::default()
        };
        assert_eq!(compute(&cap, &observe(&cap)).round_trips, Some(1));
    }
}

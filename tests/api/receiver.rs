//! A real HTTP receiver for webhook tests: an actix-web server on a random port that records
//! every request and answers the status it is told to (503 to play a receiver that is down).

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::Value;

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    answer: AtomicU16,
    /// How long to take before answering, in milliseconds.
    delay_ms: AtomicU64,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn record(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let status = shared.answer.load(Ordering::SeqCst);
    if status == 200 {
        shared.received.lock().unwrap().push(Received {
            path: req.path().to_owned(),
            headers: req
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
                .collect(),
            body: body.to_vec(),
        });
    }
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl Receiver {
    /// A receiver answering 200 on `http://127.0.0.1:PORT/hook`.
    pub async fn start() -> Receiver {
        let shared = Arc::new(Shared {
            received: Mutex::new(Vec::new()),
            answer: AtomicU16::new(200),
            delay_ms: AtomicU64::new(0),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(2)
        .bind("127.0.0.1:0")
        .expect("bind the receiver");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            shared,
            handle,
        }
    }

    /// Answers `status` from now on; only 200s are recorded (anything else plays "down").
    pub fn answer(&self, status: u16) {
        self.shared.answer.store(status, Ordering::SeqCst);
    }

    /// Takes `ms` before answering each request from now on (it is recorded on arrival).
    pub fn delay(&self, ms: u64) {
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The events received so far, of `event_type` (all when empty).
    pub fn events(&self, event_type: &str) -> Vec<Value> {
        self.received()
            .iter()
            .map(Received::json)
            .filter(|e| event_type.is_empty() || e["type"] == event_type)
            .collect()
    }

    /// Waits (up to 20 s) until `count` events of `event_type` have arrived; they.
    pub async fn wait_for(&self, event_type: &str, count: usize) -> Vec<Value> {
        for _ in 0..400 {
            let events = self.events(event_type);
            if events.len() >= count {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{count} {event_type} event(s) expected; received {:?}",
            self.events("")
        );
    }
}

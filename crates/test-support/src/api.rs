//! The API server fixture: a demo city on the Monaco extract, a SQLite
//! store in a temporary folder, a real HTTP server on a free port, and the
//! few calls every API test makes.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;
use server::{App, Settings};
use store::{Store, UserRecord};

/// A running API server and what a test needs to talk to it.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The server's state, for looking behind the API (the store, the clock).
    pub app: Arc<App>,
    /// The demo city it serves.
    pub city: citygen::City,
    /// An HTTP client.
    pub client: reqwest::Client,
}

/// Every test account's password.
pub const PASSWORD: &str = "correct horse battery";

/// A server on the Monaco demo city with the machine's clock.
pub async fn spawn() -> Server {
    spawn_at(server::Clock::system()).await
}

/// A server on the Monaco demo city (seed 3, a SQLite store in a fresh
/// temporary folder) whose clock starts at a chosen instant, with the
/// accounts admin, dispatcher, calltaker, officer (the first station) and
/// analyst.
pub async fn spawn_at(clock: server::Clock) -> Server {
    let g = crate::monaco();
    let city = citygen::generate(g, 3);
    let dir = std::env::temp_dir().join(format!(
        "pingan-api-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.join("t.db").display()), "test")
        .await
        .unwrap();
    store.put_jurisdictions(&city.jurisdictions).await.unwrap();
    store.put_posts(&city.posts).await.unwrap();
    store.put_police_offices(&city.offices).await.unwrap();
    store.put_units(&city.units).await.unwrap();
    let station = city
        .jurisdictions
        .iter()
        .find(|j| j.level == dispatch::Level::Station)
        .unwrap()
        .id
        .clone();
    let hash = server::auth::hash_password(PASSWORD);
    for (name, role, scope) in [
        ("admin", "admin", None),
        ("dispatcher", "dispatcher", None),
        ("calltaker", "call_taker", None),
        ("officer", "station_officer", Some(station)),
        ("analyst", "analyst", None),
    ] {
        store
            .put_user(&UserRecord {
                username: name.into(),
                role: role.into(),
                scope,
                display_name: name.into(),
                password_hash: hash.clone(),
                disabled: false,
                unit_id: None,
            })
            .await
            .unwrap();
    }
    let mut settings = Settings {
        agency: "test".into(),
        clock,
        ..Default::default()
    };
    settings.dispatch.max_snap_m = 60.0;
    let app = App::start(store, g, settings).await.unwrap();
    app.set_places(crate::monaco_places().to_vec());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(axum::serve(listener, server::router(app.clone())).into_future());
    Server {
        base,
        app,
        city,
        client: reqwest::Client::new(),
    }
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Server {
    /// `?period=` of this local month: the records a test makes now are in it
    /// (without a period, monthly reports are of the month just ended in a
    /// month's first days).
    pub fn this_month(&self) -> String {
        format!(
            "period={}",
            dispatch::time::month_of(self.app.now() + server::LOCAL_UTC_OFFSET_MIN * 60_000)
        )
    }

    /// Logs `user` in; its token.
    pub async fn login(&self, user: &str) -> String {
        crate::login(
            &self.client,
            &format!("{}/api/v1", self.base),
            user,
            PASSWORD,
        )
        .await
    }
    /// A request to `/api/v1{path}`: the status and the JSON answer (a
    /// string when the answer is not JSON).
    pub async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
    /// `GET /api/v1{path}`.
    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(token, reqwest::Method::GET, path, None).await
    }
    /// `POST /api/v1{path}` with a JSON body.
    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(token, reqwest::Method::POST, path, Some(body))
            .await
    }
    /// A point on the road network inside the given station: one of its posts.
    pub fn point_in(&self, station: &str) -> (f64, f64) {
        let p = self
            .city
            .posts
            .iter()
            .find(|p| p.station_id == station)
            .unwrap();
        (p.lat, p.lon)
    }
    /// The stations of the city.
    pub fn stations(&self) -> Vec<String> {
        self.city
            .jurisdictions
            .iter()
            .filter(|j| j.level == dispatch::Level::Station)
            .map(|j| j.id.clone())
            .collect()
    }
    /// How many incidents the store holds.
    pub async fn stored_incidents(&self) -> usize {
        self.app.store().incident_ids().await.unwrap().len()
    }
}

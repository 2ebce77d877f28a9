//! `Application`: one builder used by `main` and by the tests.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use tokio::sync::Semaphore;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::engine;
use crate::http::{self, AppState, FormLimits};
use crate::pipeline::pool::InferencePool;
use crate::store::Store;

pub struct Application {
    port: u16,
    server: Server,
    login: Arc<crate::auth::LoginThrottle>,
    /// Requests being handled now, on any HTTP worker (what a graceful stop waits for).
    in_flight: Arc<AtomicUsize>,
    shutdown_timeout: Duration,
    /// The inference pool when this application started it (and so stops it): `build`, not `build_with_pool`.
    owned_pool: Option<Arc<InferencePool>>,
}

impl Application {
    /// Loads the models (refusing to start on any problem), opens the database, binds the port.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let engine_settings = settings.clone();
        let pool = tokio::task::spawn_blocking(move || engine::start(&engine_settings)).await??;
        let mut app = Self::build_with_pool(settings, pool.clone()).await?;
        app.owned_pool = Some(pool);
        Ok(app)
    }

    /// As `build`, with an already started inference pool (tests share one between applications).
    pub async fn build_with_pool(settings: Settings, pool: Arc<InferencePool>) -> anyhow::Result<Self> {
        settings.validate()?;
        settings.thresholds.fitted_for(pool.template_space()).map_err(anyhow::Error::msg)?;
        let (kek, development) = settings.vault.load_kek()?;
        tracing::info!(kek_id = kek.id(), development, "key-encryption key loaded");
        let busy = std::time::Duration::from_millis(settings.database.busy_timeout_ms);
        let store = Store::connect_with(&settings.database.url, busy).await?;
        tracing::info!(backend = store.backend().as_str(), "database migrated and ready");
        // Refuses to start with another KEK than the one the stored keys are wrapped with (the check value names
        // the expected key id), then unwraps the service keys under it.
        crate::store::kek_check::verify_or_record(&store, &kek).await?;
        let store = store.unlock(&kek).await?;
        let space = pool.template_space();
        let gallery = Arc::new(crate::gallery::load(&store, &kek, space, settings.gallery.int8_from).await?);
        let blocklist = Arc::new(crate::gallery::load_blocklist(&store, &kek, space).await?);
        let kek = Arc::new(kek);
        let sync_interval = std::time::Duration::from_millis(settings.gallery.sync_interval_ms);
        crate::gallery::spawn_sync(store.clone(), kek.clone(), gallery.clone(), blocklist.clone(), sync_interval);
        crate::retention::spawn(store.clone(), settings.retention.clone(), gallery.clone());
        let delivery = crate::notify::Delivery::from_settings(&settings.webhook)?;
        let webhook = delivery.is_some();
        if let Some(delivery) = delivery {
            crate::notify::spawn(delivery, store.clone());
        }
        let login = Arc::new(crate::auth::LoginThrottle::new(&settings.auth.throttle()?));
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        let admission = Arc::new(Semaphore::new(settings.models.max_in_flight));
        let liveness = crate::liveness::LivenessSessions {
            store: store.clone(),
            pool: pool.clone(),
            kek: kek.clone(),
            settings: settings.liveness.clone(),
            admission: admission.clone(),
            cross_border: settings.residency.cross_border(),
            webhook,
        };
        let verifications = crate::verification::Verifications {
            store: store.clone(),
            pool: pool.clone(),
            kek: kek.clone(),
            gallery: gallery.clone(),
            blocklist: blocklist.clone(),
            liveness: settings.liveness.clone(),
            admission,
            max_in_flight: settings.models.max_in_flight,
            thresholds: settings.thresholds.clone(),
            cross_border: settings.residency.cross_border(),
            webhook,
        };
        let review = crate::review::Review {
            store: store.clone(),
            kek: kek.clone(),
            blocklist: blocklist.clone(),
            webhook,
            burst_threshold: settings.security.burst_threshold,
            burst_window_secs: settings.security.burst_window_secs,
        };
        let evidence = crate::evidence::Evidence {
            store: store.clone(),
            kek: kek.clone(),
            thresholds: settings.thresholds.clone(),
            models: crate::pipeline::ModelFiles::manifest_hashes(&settings.models.dir)?,
            burst_threshold: settings.security.burst_threshold,
            burst_window_secs: settings.security.burst_window_secs,
        };
        let privacy =
            crate::privacy::Privacy { store: store.clone(), gallery: gallery.clone(), blocklist: blocklist.clone() };
        let sessions = crate::auth::Sessions {
            store: store.clone(),
            kek: kek.clone(),
            throttle: login.clone(),
            lockout: settings.auth.lockout(),
            ttl_secs: settings.auth.session_ttl_secs,
        };
        let oversight = crate::oversight::Oversight {
            store: store.clone(),
            burst_threshold: settings.security.burst_threshold,
            burst_window_secs: settings.security.burst_window_secs,
        };
        let state = web::Data::new(AppState {
            verifications,
            liveness,
            oversight,
            sessions,
            review,
            privacy,
            evidence,
            store,
            pool,
            kek,
            gallery,
            gallery_max_lag_secs: (sync_interval.as_secs_f64() * 10.0).max(5.0),
            uploads: Arc::new(Semaphore::new(settings.server.max_uploads_in_flight)),
            max_uploads: settings.server.max_uploads_in_flight,
            form_limits: FormLimits {
                image_bytes: settings.pipeline.limits.max_bytes,
                request_bytes: settings.server.max_request_bytes,
                timeout: std::time::Duration::from_secs(settings.server.upload_timeout_secs),
                min_bytes_per_sec: settings.server.upload_min_bytes_per_sec,
                grace: std::time::Duration::from_secs(settings.server.upload_grace_secs),
            },
            retry_after_secs: settings.server.retry_after_secs,
            session_ttl_secs: settings.auth.session_ttl_secs,
            session_max_lifetime_secs: settings.auth.session_max_lifetime_secs,
            secure_cookies: settings.auth.secure_cookies,
        });
        let in_flight = Arc::new(AtomicUsize::new(0));
        let counted = in_flight.clone();
        let server = HttpServer::new(move || {
            let counted = counted.clone();
            App::new()
                .wrap_fn(|req, srv| {
                    let call = actix_web::dev::Service::call(srv, req);
                    async move { Ok(http::edges::finish(call.await?)) }
                })
                .wrap_fn(move |req, srv| {
                    let guard = InFlight::enter(&counted);
                    let call = actix_web::dev::Service::call(srv, req);
                    async move {
                        let response = call.await;
                        drop(guard);
                        response
                    }
                })
                .wrap_fn(|req, srv| {
                    let method = req.method().to_string();
                    let pattern = req.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
                    let call = actix_web::dev::Service::call(srv, req);
                    async move {
                        let response = call.await?;
                        crate::metrics::count_request(&method, &pattern, response.status().as_u16());
                        Ok(response)
                    }
                })
                .wrap(TracingLogger::<crate::telemetry::PrivacyRootSpan>::new())
                .app_data(state.clone())
                .app_data(http::body_config())
                .app_data(http::edges::query_config())
                .app_data(http::edges::path_config())
                .app_data(http::edges::json_config())
                .app_data(http::edges::form_config())
                .configure(http::configure)
                .configure(crate::console::configure)
                .configure(crate::capture::configure)
                .default_service(web::to(http::not_found))
        })
        .listen(listener)?
        // Signals are handled in `run_until_stopped`: actix's own graceful stop ends each HTTP worker's runtime as
        // soon as that worker is idle, and with it the database connections it opened, which the pool may have
        // lent to a request still running on another worker.
        .disable_signals()
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .run();
        tracing::info!(port, "listening");
        let shutdown_timeout = Duration::from_secs(settings.server.shutdown_timeout_secs);
        Ok(Self { port, server, login, in_flight, shutdown_timeout, owned_pool: None })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The sign-in throttle, to read what the password-hashing bound has done.
    pub fn login_throttle(&self) -> Arc<crate::auth::LoginThrottle> {
        self.login.clone()
    }

    /// Serves until SIGTERM or SIGINT, then: stops accepting connections, waits (at most
    /// `server.shutdown_timeout_secs`) until no request is being handled on any HTTP worker, stops the workers
    /// together, and drains and joins the inference workers it started, so no ONNX session is torn down by the
    /// process exit while a thread still runs it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        // The server future runs on its own task: it is what answers `pause` and `stop`.
        let mut server = tokio::spawn(self.server);
        let joined = |r: Result<std::io::Result<()>, tokio::task::JoinError>| {
            r.unwrap_or_else(|e| Err(std::io::Error::other(e)))
        };
        tokio::select! {
            stopped = &mut server => return joined(stopped),
            () = termination() => {}
        }
        tracing::info!("stop signal received; no new connections, finishing the requests in flight");
        handle.pause().await;
        let deadline = tokio::time::Instant::now() + self.shutdown_timeout;
        while self.in_flight.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        handle.stop(true).await;
        joined(server.await)?;
        if let Some(pool) = self.owned_pool {
            tracing::info!("stopped serving; draining the inference workers");
            let _ = tokio::task::spawn_blocking(move || pool.shutdown()).await;
            tracing::info!("inference workers joined; exiting");
        }
        Ok(())
    }
}

/// Counts a request in flight for as long as it lives (a cancelled request counts down too).
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// SIGTERM (a rolling restart) or SIGINT.
async fn termination() {
    use tokio::signal::unix::{signal, SignalKind};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            tracing::warn!("cannot listen for stop signals; stopping only when the server does");
            std::future::pending::<()>().await;
        }
    }
}

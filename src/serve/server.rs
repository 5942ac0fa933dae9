//! The listener and its connections: HTTP/1.1 through hyper-util's
//! connection builder, each socket with read and write timeouts, a limit on
//! the time to send headers, and a graceful stop on SIGTERM or Ctrl-C.

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio_io_timeout::TimeoutStream;

use super::state::{self, State};
use super::{log, Config, ServeError};

/// How long requests under way may take to finish once asked to stop.
const DRAIN: Duration = Duration::from_secs(10);

pub(super) async fn serve(config: Config) -> Result<(), ServeError> {
    let (loaded_state, seen) = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            // Looked at before reading, so that a change made while the
            // rules load is seen as one.
            let seen = config.rules.as_deref().and_then(state::fingerprint);
            State::load(&config).map(|s| (s, seen))
        })
        .await
        .map_err(|e| ServeError::Runtime(std::io::Error::other(e)))??
    };
    let state = Arc::new(loaded_state);
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeError::Runtime)?;
    // Signals are caught from here on: one arriving right after the
    // "listening" line must not find the default action (which ends the
    // process) still in place.
    let hangup = signal(SignalKind::hangup());
    let mut stop = pin!(stop_signal(
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ));
    let rules = state.current().engine.rules.len();
    let source = config.rules.as_ref().map_or_else(
        || "the built-in rules".to_string(),
        |d| d.display().to_string(),
    );
    log(format_args!("{rules} rules from {source}"));
    if !addr.ip().is_loopback() {
        log(format_args!(
            "listening on {} (not only this machine: anyone who can reach it)",
            addr.ip()
        ));
    }
    log(format_args!("listening on http://{addr}"));

    tokio::spawn(state::watch(Arc::clone(&state), config.watch, hangup, seen));
    let app = super::api::router(Arc::clone(&state));
    let timeouts = config.timeouts;
    let graceful = GracefulShutdown::new();
    loop {
        let (tcp, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some
                    // connections to end rather than spin.
                    log(format_args!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = tcp.set_nodelay(true);
        let mut io = TimeoutStream::new(tcp);
        io.set_read_timeout(Some(timeouts.read));
        io.set_write_timeout(Some(timeouts.write));
        let io = TokioIo::new(Box::pin(io));
        let service = TowerToHyperService::new(app.clone());
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(timeouts.header)
            .serve_connection(io, service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection ending in an error (a client that went away, a
            // timeout) concerns nobody else.
            let _ = connection.await;
        });
    }
    log(format_args!("stopping"));
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => log(format_args!("requests still running after {DRAIN:?}; stopped anyway")),
    }
    Ok(())
}

/// SIGTERM (a service manager, `kill`) or SIGINT (Ctrl-C).
async fn stop_signal(term: std::io::Result<Signal>, interrupt: std::io::Result<Signal>) {
    let wait = |s: std::io::Result<Signal>| async move {
        match s {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = wait(term) => {}
        () = wait(interrupt) => {}
    }
}

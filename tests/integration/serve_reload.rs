//! Rules reloaded under load: on SIGHUP and when the rules directory
//! changes, with no request failing meanwhile, and a failed reload keeping
//! the rules being served.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::ingested_kb;
use crate::support::server::{Serve, Server};

fn add_rule(dir: &std::path::Path, id: &str, title: &str) {
    let rule = triage::Rule {
        id: id.into(),
        title: title.into(),
        signatures: vec!["Sprocket alignment lost on <*>".into()],
        steps: vec!["Realign the sprocket.".into()],
        ..triage::Rule::default()
    };
    triage::rulebook::write_rule(dir, &rule, true).unwrap();
}

/// Requests in a loop on `threads` threads until `stop`; every answer
/// that is not 200 is counted as a failure.
fn hammer(
    server: &Arc<Server>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<(u32, u32)>> {
    (0..4)
        .map(|i| {
            let server = Arc::clone(server);
            let stop = Arc::clone(stop);
            std::thread::spawn(move || {
                let (mut done, mut failed) = (0, 0);
                while !stop.load(Ordering::Relaxed) {
                    let r = if i % 2 == 0 {
                        server.get("/api/search?q=no%20space%20left%20on%20device")
                    } else {
                        server.post(
                            "/api/diagnose",
                            &[],
                            b"copying\nERROR: No space left on device\n",
                        )
                    };
                    done += 1;
                    if r.status != 200 {
                        failed += 1;
                    }
                }
                (done, failed)
            })
        })
        .collect()
}

/// Sets the flag when dropped: a failing assertion stops the request
/// threads too, so they let go of the server and it is stopped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn rules_reload_without_dropping_a_request() {
    let rules = ingested_kb();
    let server = Arc::new(Serve::new().rules(rules.path()).start());
    assert_eq!(server.generation(), 1);
    assert_eq!(server.get("/api/articles/sprocket-alignment").status, 404);
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_on_panic = StopOnDrop(Arc::clone(&stop));
    let workers = hammer(&server, &stop);

    // A rule added to the directory is picked up by itself.
    add_rule(
        rules.path(),
        "sprocket-alignment",
        "Sprocket alignment lost",
    );
    assert!(
        server.wait_for(Duration::from_secs(30), |s| s.generation() == 2),
        "no reload after a change; log:\n{}",
        server.log()
    );
    assert_eq!(server.get("/api/articles/sprocket-alignment").status, 200);
    let found = server.get("/api/search?q=sprocket%20alignment").json();
    assert_eq!(found["results"][0]["id"], "sprocket-alignment");

    // SIGHUP, several times over.
    for expected in 3..=5 {
        server.signal("HUP");
        assert!(
            server.wait_for(Duration::from_secs(30), |s| s.generation() == expected),
            "no reload on SIGHUP; log:\n{}",
            server.log()
        );
    }
    stop.store(true, Ordering::Relaxed);
    let (mut done, mut failed) = (0, 0);
    for w in workers {
        let (d, f) = w.join().unwrap();
        done += d;
        failed += f;
    }
    assert!(done > 20, "only {done} requests ran");
    assert_eq!(
        failed, 0,
        "{failed} of {done} requests failed during reloads"
    );
    assert!(server.log().contains("reloaded"));
}

#[test]
fn a_failed_reload_keeps_serving_the_rules() {
    let rules = ingested_kb();
    let server = Serve::new().rules(rules.path()).start();
    std::fs::write(
        rules.path().join("broken.toml"),
        "id = \"broken\"\ntitle = ",
    )
    .unwrap();
    server.signal("HUP");
    assert!(
        server.wait_for(Duration::from_secs(30), |s| s
            .log()
            .contains("reload failed")),
        "{}",
        server.log()
    );
    assert_eq!(server.generation(), 1);
    assert_eq!(server.get("/api/articles/disk-full").status, 200);
    // Mended, it loads.
    std::fs::remove_file(rules.path().join("broken.toml")).unwrap();
    server.signal("HUP");
    assert!(server.wait_for(Duration::from_secs(30), |s| s.generation() >= 2));
}

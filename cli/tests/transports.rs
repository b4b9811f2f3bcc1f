//! `porticus` against the math example running as its own process, over HTTP, AMQP and NATS:
//! acts, act errors (exit 1), introspection, and targets that are not there (exit 2).

mod services;

use services::{acts_and_introspects, porticus, start_math, stderr_json};

#[test]
fn over_http() {
    let math = start_math("http");
    acts_and_introspects(&math);

    // A whole message as JSON: over HTTP, a client without a pin reaches every action (over
    // AMQP and NATS, the pattern routes it).
    let out = porticus(&[
        "act",
        r#"{"role":"math","cmd":"product","left":6,"right":7}"#,
        "--via",
        &math.via,
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(services::stdout_json(&out)["answer"], 42.0);

    // No such action: exit 1, the error as JSON on stderr.
    let out = porticus(&[
        "act",
        "role:math,cmd:divide",
        r#"{"left":1,"right":0}"#,
        "--via",
        &math.via,
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = stderr_json(&out);
    assert_eq!(err["code"], "act_not_found");
    // Another service's introspection is not answered here.
    let out = porticus(&["ping", "--service", "nobody", "--via", &math.via]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(stderr_json(&out)["code"], "act_not_found");
    assert!(math.process.terminate(), "math exits 0 on SIGTERM");
}

#[test]
fn over_amqp() {
    let math = start_math("amqp");
    acts_and_introspects(&math);
    assert!(math.process.terminate(), "math exits 0 on SIGTERM");
}

#[test]
fn over_nats() {
    let math = start_math("nats");
    acts_and_introspects(&math);
    assert!(math.process.terminate(), "math exits 0 on SIGTERM");
}

#[test]
fn a_target_that_is_not_there_exits_2() {
    let port = porticus_tests::process::free_port();
    let dead = format!("http://127.0.0.1:{port}/act");
    let out = porticus(&[
        "act",
        "role:math,cmd:sum",
        "{}",
        "--via",
        &dead,
        "--timeout",
        "2000",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = porticus(&["ping", "--service", "math", "--via", &dead]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let dead = format!("amqp://guest:guest@127.0.0.1:{port}");
    let out = porticus(&["ping", "--service", "math", "--via", &dead]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = porticus(&["ping", "--service", "math", "--via", "carrier-pigeon://x"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

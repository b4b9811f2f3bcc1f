//! `porticus repl` in a pseudo-terminal, against the math example over HTTP: a JSON body over
//! two lines, errors that leave the shell running, tables, completion, history, `quit`.

mod services;

use std::process::Command;
use std::time::Duration;

use expectrl::{Eof, Expect, Session};

use services::start_math;

#[test]
fn the_shell_acts_keeps_going_after_errors_and_quits() {
    let math = start_math("http");
    let dir = porticus_tests::service_process::scratch("cli-repl-history");
    let history = dir.join("history");
    let mut command = Command::new(env!("CARGO_BIN_EXE_porticus"));
    command
        .args(["repl", "--via", &math.via, "--history"])
        .arg(&history)
        .env("TERM", "xterm");
    let mut shell = Session::spawn(command).expect("spawn porticus repl in a pty");
    shell.set_expect_timeout(Some(Duration::from_secs(20)));
    shell.expect("porticus> ").expect("the prompt");

    // A body over two lines: the entry goes on while its braces are open.
    shell
        .send_line(r#"act role:math,cmd:sum {"left":1,"#)
        .expect("send");
    shell.expect("...> ").expect("the continuation prompt");
    shell.send_line(r#""right":2}"#).expect("send");
    shell.expect(r#""answer": 3"#).expect("the sum");
    shell.expect("porticus> ").expect("the prompt again");

    // Errors print, the shell goes on.
    shell.send_line("bogus").expect("send");
    shell
        .expect("unknown command `bogus`")
        .expect("a usage error");
    shell
        .send_line(r#"act role:math,cmd:divide {"left":1,"right":0}"#)
        .expect("send");
    shell
        .expect("act_not_found")
        .expect("the act error as JSON");

    // Introspection as tables; `info` teaches completion the service's patterns.
    shell
        .send_line(format!("info {}", math.name))
        .expect("send");
    shell.expect("ACTIONS").expect("the info table");
    shell
        .expect("cmd:sum,role:math")
        .expect("the sum action listed");
    shell
        .send_line(format!("stats {}", math.name))
        .expect("send");
    shell.expect("PATTERN").expect("the stats table");
    shell
        .expect("porticus> ")
        .expect("the prompt after the tables");
    // `act role:math,cmd:pro<TAB>` completes to `product`.
    shell.send(r#"act role:math,cmd:pro"#).expect("send");
    shell.send("\t").expect("tab");
    shell.send_line(r#" {"left":6,"right":7}"#).expect("send");
    shell
        .expect(r#""answer": 42"#)
        .expect("the completed product");

    shell.send_line("quit").expect("send");
    shell.expect(Eof).expect("the shell ends");
    let saved = std::fs::read_to_string(&history).expect("the history is saved");
    assert!(saved.contains("act role:math,cmd:product"), "{saved}");
    assert!(math.process.terminate(), "math exits 0 on SIGTERM");
}

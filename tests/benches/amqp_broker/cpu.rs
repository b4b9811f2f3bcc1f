//! CPU time of this process and of the broker, from `/proc/<pid>/stat`.

use std::process::Command;

/// utime + stime of `pid` (a number or `self`), in clock ticks; `None` if unreadable.
pub fn ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name: [0] is field 3 (state), utime is field 14, stime 15.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Clock ticks per second (`getconf CLK_TCK`, else 100).
pub fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// The broker's pid: `$PORTICUS_BENCH_BROKER_PID`, else the process listening on the URL's port
/// (`ss -ltnpH 'sport = :<port>'`, the beam.smp of a local RabbitMQ). `None` when neither
/// answers (a remote broker, or `ss` not showing other users' processes).
pub fn broker_pid(url: &str) -> Option<String> {
    if let Ok(pid) = std::env::var("PORTICUS_BENCH_BROKER_PID") {
        return Some(pid);
    }
    let filter = format!("sport = :{}", url_port(url));
    let out = Command::new("ss").args(["-ltnpH", &filter]).output().ok()?;
    let out = String::from_utf8_lossy(&out.stdout);
    let at = out.find("pid=")? + 4;
    let pid: String = out[at..].chars().take_while(char::is_ascii_digit).collect();
    (!pid.is_empty()).then_some(pid)
}

/// The port of an `amqp://` URL (5672 when it names none).
fn url_port(url: &str) -> u16 {
    let authority = url.split("://").nth(1).unwrap_or(url);
    let host = authority.split('/').next().unwrap_or(authority);
    let host = host.rsplit('@').next().unwrap_or(host);
    host.rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or(5672)
}

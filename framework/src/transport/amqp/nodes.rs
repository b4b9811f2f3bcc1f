//! The broker nodes of one connection (`url`, or `urls` for a cluster) and the order in which
//! they are tried.
//!
//! lapin's automatic recovery reconnects through the connect function it was given, calling it
//! again for every attempt (`Connection::connector`). The function Porticus gives it ignores the
//! address lapin passes and asks a [`Rotation`] for the next node instead: the first
//! connection goes to the first node that answered the start-up probe; once a node was
//! connected, the next attempts go to the *other* nodes in a shuffled order, and to the lost
//! node last. The AMQP handshake (user, password, virtual host, heartbeat) is lapin's, from the
//! first URL, so every URL must name the same scheme, user, password and virtual host; only
//! the host and port differ.

use std::sync::{Mutex, PoisonError};

use lapin::uri::AMQPUri;

use crate::error::{Error, ErrorKind, Result};

/// `url`, or `urls` when that is not empty.
pub(super) fn texts(url: &str, urls: &[String]) -> Vec<String> {
    if urls.is_empty() {
        vec![url.to_owned()]
    } else {
        urls.to_vec()
    }
}

/// Parses `texts` (without connecting) and checks that they differ only in host and port.
/// `parse` turns one URL into its `AMQPUri` (defaults applied).
///
/// # Errors
/// [`ErrorKind::Config`] naming the URL that does not parse or that differs from the first.
pub(super) fn parse(
    texts: &[String],
    parse: impl Fn(&str) -> Result<AMQPUri>,
) -> Result<Vec<AMQPUri>> {
    if texts.is_empty() || texts.iter().all(|t| t.trim().is_empty()) {
        return Err(Error::new(
            ErrorKind::Config,
            "no AMQP broker url: `url` is empty and `urls` names none",
        ));
    }
    let mut uris: Vec<AMQPUri> = Vec::with_capacity(texts.len());
    for text in texts {
        let uri = parse(text)?;
        if let Some(first) = uris.first() {
            let differs = [
                (first.scheme != uri.scheme, "scheme"),
                (
                    first.authority.userinfo != uri.authority.userinfo,
                    "user or password",
                ),
                (first.vhost != uri.vhost, "virtual host"),
            ]
            .into_iter()
            .find_map(|(differs, what)| differs.then_some(what));
            if let Some(what) = differs {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "the AMQP urls of one connection must differ only in host and port, but the {what} of `{}` differs from `{}`'s",
                        crate::config::masked_url(text),
                        crate::config::masked_url(&texts[0])
                    ),
                ));
            }
            if uris.iter().any(|u| {
                u.authority.host == uri.authority.host && u.authority.port == uri.authority.port
            }) {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "the AMQP url `{}` names a node that an earlier url already names",
                        crate::config::masked_url(text)
                    ),
                ));
            }
        }
        uris.push(uri);
    }
    Ok(uris)
}

/// Which node the next connection attempt goes to.
#[derive(Debug)]
pub(super) struct Rotation {
    uris: Vec<AMQPUri>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Indexes into `uris`, in the order they are tried.
    order: Vec<usize>,
    /// The next position in `order`.
    next: usize,
}

impl Rotation {
    /// Tries `uris[first]` first, then the others in the configured order.
    pub(super) fn new(uris: Vec<AMQPUri>, first: usize) -> Rotation {
        let first = first.min(uris.len().saturating_sub(1));
        let order = std::iter::once(first)
            .chain((0..uris.len()).filter(|i| *i != first))
            .collect();
        Rotation {
            uris,
            state: Mutex::new(State { order, next: 0 }),
        }
    }

    /// The node of the next attempt, and its index.
    pub(super) fn next(&self) -> (usize, AMQPUri) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.next >= state.order.len() {
            // Every node was tried: go round again, in a new shuffled order.
            fastrand::shuffle(&mut state.order);
            state.next = 0;
        }
        let index = state.order[state.next];
        state.next += 1;
        (index, self.uris[index].clone())
    }

    /// Node `index` answered: when its connection is lost, the other nodes come first, in a
    /// shuffled order, and it comes last.
    pub(super) fn connected(&self, index: usize) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut others: Vec<usize> = (0..self.uris.len()).filter(|i| *i != index).collect();
        fastrand::shuffle(&mut others);
        others.push(index);
        state.order = others;
        state.next = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Result<AMQPUri> {
        text.parse::<AMQPUri>()
            .map_err(|e: String| Error::new(ErrorKind::Config, e))
    }

    fn three() -> Vec<AMQPUri> {
        let texts: Vec<String> = (1..=3)
            .map(|n| format!("amqp://u:p@127.0.0.1:{n}/%2f"))
            .collect();
        parse(&texts, uri).expect("three nodes")
    }

    #[test]
    fn the_first_answering_node_comes_first_then_the_others_in_order() {
        let rotation = Rotation::new(three(), 1);
        let ports: Vec<u16> = (0..3).map(|_| rotation.next().1.authority.port).collect();
        assert_eq!(ports, [2, 1, 3]);
    }

    #[test]
    fn after_a_loss_the_other_nodes_come_first_and_the_lost_one_last() {
        let rotation = Rotation::new(three(), 0);
        for _ in 0..20 {
            rotation.connected(1);
            let tried: Vec<usize> = (0..3).map(|_| rotation.next().0).collect();
            assert_eq!(tried[2], 1, "{tried:?}");
            assert!(
                tried[..2].contains(&0) && tried[..2].contains(&2),
                "{tried:?}"
            );
        }
        // Then round again, every node once per round.
        let mut round: Vec<usize> = (0..3).map(|_| rotation.next().0).collect();
        round.sort_unstable();
        assert_eq!(round, [0, 1, 2]);
    }

    #[test]
    fn urls_must_differ_only_in_host_and_port() {
        let texts = |a: &str, b: &str| vec![a.to_owned(), b.to_owned()];
        let err = parse(&texts("amqp://u:p@h1/%2f", "amqp://u:other@h2/%2f"), uri).unwrap_err();
        assert!(err.to_string().contains("user or password"), "{err}");
        assert!(
            !err.to_string().contains("other"),
            "the password is masked: {err}"
        );
        let err = parse(&texts("amqp://u:p@h1/%2f", "amqp://u:p@h2/shop"), uri).unwrap_err();
        assert!(err.to_string().contains("virtual host"), "{err}");
        let err = parse(&texts("amqp://h1", "amqp://h1:5672"), uri).unwrap_err();
        assert!(err.to_string().contains("already names"), "{err}");
        let err = parse(&[String::new()], uri).unwrap_err();
        assert!(err.to_string().contains("no AMQP broker url"), "{err}");
        assert_eq!(texts_of("amqp://a", &[]), ["amqp://a"]);
    }

    fn texts_of(url: &str, urls: &[String]) -> Vec<String> {
        texts(url, urls)
    }
}

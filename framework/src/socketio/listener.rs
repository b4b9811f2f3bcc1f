//! [`SocketIoListener`]: `[[listen]] type = "socketio"` — the sockets on an address of their own.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use super::Sockets;
use crate::action::BoxFuture;
use crate::config::SocketIoListenConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::node::Node;
use crate::transport::Listener;

/// Serves [`Sockets`] on an address of its own until the node closes, then disconnects every
/// socket. What [`Node::start`] runs for a `[[listen]] type = "socketio"`; bound when created,
/// so a taken port is an error at start-up.
///
/// ```
/// use porticus::config::{Config, SocketIoListenConfig};
/// use porticus::socketio::{SocketIoListener, Sockets};
/// use porticus::transport::Listener;
/// use porticus::Node;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> porticus::Result<()> {
/// let config = Config::from_toml_str("[socketio]\nevents = [\"role:order\"]")?;
/// let sockets = Sockets::from_config(&config)?;
/// let node = Node::builder().without_registered().sockets(&sockets).build()?;
/// let mut listen = SocketIoListenConfig::default();
/// listen.bind = "127.0.0.1:0".into();
/// let listener = SocketIoListener::bind(&listen, sockets).await?;
/// assert!(listener.address().ends_with("/socket.io"));
/// let serving = tokio::spawn(Box::new(listener).serve(node.clone()));
/// node.close();
/// serving.await.expect("the listener task")?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SocketIoListener {
    listener: TcpListener,
    local_addr: SocketAddr,
    sockets: Sockets,
}

impl SocketIoListener {
    /// Binds `config`'s address (port 0 picks a free one) for `sockets`.
    ///
    /// ```
    /// use porticus::config::{Config, SocketIoListenConfig};
    /// use porticus::socketio::{SocketIoListener, Sockets};
    /// use porticus::ErrorKind;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let sockets = Sockets::from_config(&Config::default())?;
    /// let mut listen = SocketIoListenConfig::default();
    /// listen.bind = "127.0.0.1:0".into();
    /// let first = SocketIoListener::bind(&listen, sockets.clone()).await?;
    /// listen.bind = first.local_addr().to_string(); // taken
    /// let err = SocketIoListener::bind(&listen, sockets).await.unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Transport);
    /// assert!(err.to_string().starts_with("cannot bind the socket.io listener to"), "{err}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] naming the address when it cannot be bound.
    pub async fn bind(config: &SocketIoListenConfig, sockets: Sockets) -> Result<SocketIoListener> {
        let bound = |e: std::io::Error| {
            Error::new(
                ErrorKind::Transport,
                format!(
                    "cannot bind the socket.io listener to `{}`: {e}",
                    config.bind
                ),
            )
            .with_source(e)
        };
        let listener = TcpListener::bind(config.bind.as_str())
            .await
            .map_err(bound)?;
        let local_addr = listener.local_addr().map_err(bound)?;
        Ok(SocketIoListener {
            listener,
            local_addr,
            sockets,
        })
    }

    /// The address it is bound to (with the real port when the config said 0).
    ///
    /// ```
    /// use porticus::config::{Config, SocketIoListenConfig};
    /// use porticus::socketio::{SocketIoListener, Sockets};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> porticus::Result<()> {
    /// let mut listen = SocketIoListenConfig::default();
    /// listen.bind = "127.0.0.1:0".into();
    /// let listener = SocketIoListener::bind(&listen, Sockets::from_config(&Config::default())?).await?;
    /// assert_ne!(listener.local_addr().port(), 0);
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }
}

impl Listener for SocketIoListener {
    fn transport(&self) -> &'static str {
        "socketio"
    }

    fn address(&self) -> String {
        format!(
            "http://{}{}",
            self.local_addr, self.sockets.shared.settings.path
        )
    }

    fn serve(self: Box<Self>, node: Node) -> BoxFuture<Result<(), Error>> {
        Box::pin(async move {
            let app = self.sockets.router(node.clone());
            axum::serve(self.listener, app)
                .with_graceful_shutdown(async move { node.closed().await })
                .await
                .map_err(|e| {
                    Error::new(
                        ErrorKind::Transport,
                        format!("the socket.io listener stopped: {e}"),
                    )
                    .with_source(e)
                })
        })
    }
}

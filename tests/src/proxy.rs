//! A TCP proxy in front of the test broker whose link a test can cut and restore: a broker
//! outage as seen by one client, without touching the broker everyone else uses.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::harness::amqp_url;

/// A proxy on `127.0.0.1:<port>` forwarding to the broker of [`amqp_url`].
#[derive(Debug)]
pub struct FaultProxy {
    port: u16,
    upstream: String,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// Bumped by every cut: links of an earlier generation must not forward.
    generation: Arc<AtomicU64>,
}

/// `host:port` of an `amqp://user:pass@host:port/vhost` URL (port 5672 when absent).
fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5672")
    }
}

impl FaultProxy {
    /// Starts forwarding on a free port.
    pub async fn start() -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let port = listener.local_addr().expect("its address").port();
        let proxy = FaultProxy {
            port,
            upstream: authority(&amqp_url()),
            tasks: Arc::default(),
            generation: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    /// The broker URL through the proxy.
    pub fn url(&self) -> String {
        amqp_url().replace(&authority(&amqp_url()), &format!("127.0.0.1:{}", self.port))
    }

    fn serve(&self, listener: TcpListener) {
        let (upstream, tasks) = (self.upstream.clone(), self.tasks.clone());
        let generation = self.generation.clone();
        let current = generation.load(Ordering::SeqCst);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if generation.load(Ordering::SeqCst) != current {
                    // Accepted while being cut: refuse it.
                    return;
                }
                let upstream = upstream.clone();
                let generation = generation.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        if generation.load(Ordering::SeqCst) != current {
                            return;
                        }
                        let _ = server.set_nodelay(true);
                        let _ = client.set_nodelay(true);
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(link);
            }
        });
        self.tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(accept);
    }

    /// Drops every proxied connection and refuses new ones (connection refused).
    pub fn cut(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        for task in self
            .tasks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            task.abort();
        }
    }

    /// Accepts and forwards again, on the same port.
    pub async fn restore(&self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(listener) => break listener,
                // The aborted accept task may not have released the port yet.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        };
        self.serve(listener);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.cut();
    }
}

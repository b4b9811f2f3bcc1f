//! TLS for the HTTP transport (feature `https`): the listener's certificate and key, and the
//! client's trusted roots, on rustls with the ring provider.
//!
//! Without the feature the two types are empty enums: a plain build carries no TLS and its
//! connections take the plain path only, and a config asking for TLS is refused (naming the
//! feature) before either would be made.

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};

#[cfg(feature = "https")]
pub(crate) use enabled::{ClientTls, ServerTls};

/// The certificate of a server (`owner`: `http listener`, `[gateway]`) whose `tls_cert_file`
/// and `tls_key_file` are `cert` and `key`: none when both are `""`.
///
/// # Errors
/// [`ErrorKind::Config`] when only one is set, when a file cannot be used (naming it), or when
/// the feature `https` is off.
pub(crate) fn server(cert: &str, key: &str, owner: &str) -> Result<Option<Arc<ServerTls>>> {
    let (cert, key) = (cert.trim(), key.trim());
    match (cert.is_empty(), key.is_empty()) {
        (true, true) => Ok(None),
        (false, true) | (true, false) => {
            let (set, unset) = if key.is_empty() {
                ("tls_cert_file", "tls_key_file")
            } else {
                ("tls_key_file", "tls_cert_file")
            };
            Err(Error::new(
                ErrorKind::Config,
                format!(
                    "{owner} `{set}` is set but `{unset}` is not: https needs both (or neither, for plain http)"
                ),
            ))
        }
        (false, false) => load(cert, key, owner).map(|tls| Some(Arc::new(tls))),
    }
}

#[cfg(feature = "https")]
fn load(cert: &str, key: &str, owner: &str) -> Result<ServerTls> {
    ServerTls::load(cert, key, owner)
}

#[cfg(not(feature = "https"))]
fn load(cert: &str, _key: &str, owner: &str) -> Result<ServerTls> {
    Err(Error::new(
        ErrorKind::Config,
        format!(
            "{owner} `tls_cert_file` `{cert}` asks for https, but porticus was built without its cargo feature `https`; enable it: porticus = {{ features = [\"https\"] }}"
        ),
    ))
}

/// A listener's TLS, which this build leaves out (feature `https`).
#[cfg(not(feature = "https"))]
#[derive(Debug)]
pub(crate) enum ServerTls {}

/// A client's TLS, which this build leaves out (feature `https`).
#[cfg(not(feature = "https"))]
#[derive(Debug)]
pub(crate) enum ClientTls {}

#[cfg(feature = "https")]
mod enabled {
    use std::sync::Arc;

    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncRead, AsyncWrite};
    use tokio_rustls::{client, server, TlsAcceptor, TlsConnector};

    use crate::error::{Error, ErrorKind, Result};
    use crate::transport::tls::{certificates, private_key, untrusted};

    fn config_error(message: String) -> Error {
        Error::new(ErrorKind::Config, message)
    }

    /// The protocol versions rustls deems safe (TLS 1.3 and 1.2), with the ring provider
    /// whatever other provider the application's other crates turn on.
    fn provider() -> Arc<rustls::crypto::CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// The only protocol spoken over TLS, said in ALPN.
    const ALPN: &[u8] = b"http/1.1";

    /// A listener's certificate chain and key, ready to accept connections.
    pub(crate) struct ServerTls(TlsAcceptor);

    impl std::fmt::Debug for ServerTls {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("ServerTls")
        }
    }

    impl ServerTls {
        /// The certificate chain of `cert_file` (the server's first) and the key of
        /// `key_file`, both PEM, of `owner` (named in errors).
        ///
        /// # Errors
        /// [`ErrorKind::Config`] naming the file that cannot be read or holds nothing usable,
        /// and naming both when the key is not the certificate's.
        pub(crate) fn load(cert_file: &str, key_file: &str, owner: &str) -> Result<ServerTls> {
            let chain = certificates(cert_file, &format!("{owner} `tls_cert_file`"))?;
            let key = private_key(key_file, &format!("{owner} `tls_key_file`"))?;
            let unusable = |e: rustls::Error| {
                config_error(format!(
                    "{owner} `tls_cert_file` `{cert_file}` and `tls_key_file` `{key_file}` do not make a usable certificate: {e}"
                ))
            };
            let mut config = rustls::ServerConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(unusable)?
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .map_err(unusable)?;
            config.alpn_protocols = vec![ALPN.to_vec()];
            Ok(ServerTls(TlsAcceptor::from(Arc::new(config))))
        }

        /// The server side of the handshake over `io`.
        ///
        /// # Cancel safety
        /// Not cancel safe: a cancelled handshake leaves `io` unusable (it is dropped).
        pub(crate) async fn accept<IO>(&self, io: IO) -> std::io::Result<server::TlsStream<IO>>
        where
            IO: AsyncRead + AsyncWrite + Unpin,
        {
            self.0.accept(io).await
        }
    }

    /// The roots a client trusts and the name it expects the listener's certificate to hold.
    pub(crate) struct ClientTls {
        connector: TlsConnector,
        name: ServerName<'static>,
    }

    impl std::fmt::Debug for ClientTls {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("ClientTls")
                .field("name", &self.name)
                .finish_non_exhaustive()
        }
    }

    impl ClientTls {
        /// Trusting the CA certificates of `ca_file` alone, or the platform's roots when it is
        /// `""`; the listener's certificate must name `host` (a DNS name or an IP address).
        ///
        /// # Errors
        /// [`ErrorKind::Config`] naming the CA file when it cannot be read or holds no usable
        /// CA certificate, when the platform has no roots, or when `host` is no server name.
        pub(crate) fn new(ca_file: &str, host: &str) -> Result<ClientTls> {
            let mut roots = rustls::RootCertStore::empty();
            if ca_file.is_empty() {
                let native = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(native.certs);
                if roots.is_empty() {
                    let why = native
                        .errors
                        .first()
                        .map_or_else(|| "none installed".to_owned(), ToString::to_string);
                    return Err(config_error(format!(
                        "http client: no CA certificates found on this system ({why}); name the listener's CA in `tls_ca_file`"
                    )));
                }
            } else {
                for certificate in certificates(ca_file, "http client `tls_ca_file`")? {
                    roots.add(certificate).map_err(|e| {
                        config_error(format!(
                            "http client `tls_ca_file` `{ca_file}` holds a certificate that cannot be a trust root: {e}"
                        ))
                    })?;
                }
            }
            let mut config = rustls::ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| config_error(format!("http client: no usable TLS versions: {e}")))?
                .with_root_certificates(roots)
                .with_no_client_auth();
            config.alpn_protocols = vec![ALPN.to_vec()];
            // `[::1]` in a URL is the name `::1`.
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            let name = ServerName::try_from(bare.to_owned()).map_err(|e| {
                config_error(format!(
                    "http client: `{host}` cannot be checked against a certificate: {e}"
                ))
            })?;
            Ok(ClientTls {
                connector: TlsConnector::from(Arc::new(config)),
                name,
            })
        }

        /// The client side of the handshake over `io`; a refused certificate is said so.
        ///
        /// # Cancel safety
        /// Not cancel safe: a cancelled handshake leaves `io` unusable (it is dropped).
        pub(crate) async fn connect<IO>(
            &self,
            io: IO,
        ) -> std::result::Result<client::TlsStream<IO>, String>
        where
            IO: AsyncRead + AsyncWrite + Unpin,
        {
            self.connector
                .connect(self.name.clone(), io)
                .await
                .map_err(|e| match untrusted(&e) {
                    Some(refusal) => format!(
                        "the listener's certificate is not trusted ({refusal}); trust its CA with `tls_ca_file`"
                    ),
                    None => format!("the TLS handshake failed: {e}"),
                })
        }
    }
}

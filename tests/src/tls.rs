//! Certificates for the TLS tests, made at run time with rcgen (ring, no aws-lc): a CA, a
//! server certificate it signs for `127.0.0.1` and `localhost`, and a second, unrelated CA —
//! the wrong one a client must refuse to trust the server with.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// PEM files in a directory of their own, removed when dropped.
#[derive(Debug)]
pub struct Pki {
    dir: PathBuf,
}

/// A self-signed CA named `name`.
fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names to check");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, name);
    params.distinguished_name = subject;
    let key = KeyPair::generate().expect("a CA key");
    CertifiedIssuer::self_signed(params, key).expect("a self-signed CA")
}

impl Pki {
    /// Generates the CA, the server's certificate and key, and the wrong CA, into a new
    /// directory named after `tag` and the process.
    ///
    /// # Panics
    /// When a certificate cannot be made or the files cannot be written.
    pub fn generate(tag: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("porticus-tls-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the certificates' directory");
        let authority = ca("porticus test ca");
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".into()])
            .expect("valid server names");
        params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        let key = KeyPair::generate().expect("a server key");
        let server = params
            .signed_by(&key, &authority)
            .expect("a server certificate");
        let wrong = ca("porticus unrelated ca");
        let write = |name: &str, pem: String| {
            std::fs::write(dir.join(name), pem).unwrap_or_else(|e| panic!("write {name}: {e}"));
        };
        write("ca.pem", authority.pem());
        write("server.pem", server.pem());
        write("server.key", key.serialize_pem());
        write("wrong-ca.pem", wrong.pem());
        Pki { dir }
    }

    /// The CA that signed the server's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The server's certificate (for `127.0.0.1` and `localhost`).
    pub fn cert_file(&self) -> PathBuf {
        self.dir.join("server.pem")
    }

    /// The server certificate's private key (PKCS#8).
    pub fn key_file(&self) -> PathBuf {
        self.dir.join("server.key")
    }

    /// A CA that signed nothing the server has.
    pub fn wrong_ca_file(&self) -> PathBuf {
        self.dir.join("wrong-ca.pem")
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// A path as the `String` the configuration takes.
pub fn text(path: &Path) -> String {
    path.to_str().expect("a UTF-8 temporary path").to_owned()
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The node both TLS tests serve: `role:echo` answers `{echo: msg.i}`, and every `event:tick`'s
/// `n` is sent to the returned receiver.
///
/// ```
/// let (node, _ticks) = porticus_tests::tls::echo_node();
/// assert!(node.patterns().iter().any(|p| p == "role:echo"));
/// ```
pub fn echo_node() -> (
    porticus::Node,
    tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>,
) {
    use porticus::ActError;
    use serde_json::{json, Value};

    let (ticks, ticked) = tokio::sync::mpsc::unbounded_channel();
    let node = porticus::Node::builder()
        .name("tls-echo")
        .without_registered()
        .add("role:echo", |msg: Value| async move {
            Ok::<_, ActError>(json!({ "echo": msg["i"] }))
        })
        .subscribe("event:tick", move |ev: Value| {
            let ticks = ticks.clone();
            async move {
                let _ = ticks.send(ev["n"].clone());
                Ok::<_, ActError>(())
            }
        })
        .build()
        .expect("builds");
    (node, ticked)
}

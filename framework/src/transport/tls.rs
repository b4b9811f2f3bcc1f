//! What the TLS transports share (features `https` and `amqps`): reading the PEM files named in
//! the configuration, so that a missing, unreadable or empty file is a config error naming it
//! at start, and telling a peer's untrusted certificate apart from other connection failures.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
#[cfg(feature = "https")]
use rustls::pki_types::PrivateKeyDer;

use crate::error::{Error, ErrorKind, Result};

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::Config, message)
}

/// The certificates of the PEM file `path`, named in errors as `key` (`http client
/// \`tls_ca_file\``): at least one, every block well-formed.
///
/// # Errors
/// [`ErrorKind::Config`] naming the key and the file when it cannot be read, is not PEM, or
/// holds no certificate.
pub(crate) fn certificates(path: &str, key: &str) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read(path, key)?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            config_error(format!(
                "{key} `{path}` is not a valid PEM file of certificates: {e}"
            ))
        })?;
    if certificates.is_empty() {
        return Err(config_error(format!(
            "{key} `{path}` holds no certificate (expected `-----BEGIN CERTIFICATE-----` blocks)"
        )));
    }
    Ok(certificates)
}

/// The private key of the PEM file `path` (PKCS#8, PKCS#1 or SEC1), named in errors as `key`.
///
/// # Errors
/// [`ErrorKind::Config`] naming the key and the file when it cannot be read or holds no key.
#[cfg(feature = "https")]
pub(crate) fn private_key(path: &str, key: &str) -> Result<PrivateKeyDer<'static>> {
    let pem = read(path, key)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        config_error(format!(
            "{key} `{path}` holds no usable private key (PKCS#8, PKCS#1 or SEC1 PEM): {e}"
        ))
    })
}

fn read(path: &str, key: &str) -> Result<Vec<u8>> {
    // The I/O error's text is in the message, so it is not also the source.
    std::fs::read(Path::new(path))
        .map_err(|e| config_error(format!("cannot read {key} `{path}`: {e}")))
}

/// A certificate the peer presented and rustls refused, found in `err` or its sources: the
/// text of the refusal (`invalid peer certificate: UnknownIssuer`).
///
/// rustls's errors reach the connection's error wrapped in an `io::Error`, whose `source()`
/// skips the wrapped error itself; both are looked into.
pub(crate) fn untrusted(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(err);
    while let Some(err) = current {
        let rustls = err.downcast_ref::<rustls::Error>().or_else(|| {
            err.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(refusal @ rustls::Error::InvalidCertificate(_)) = rustls {
            return Some(refusal.to_string());
        }
        current = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_are_named() {
        let err = certificates("/nonexistent/ca.pem", "amqp `tls_ca_file`").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(
            err.to_string()
                .contains("cannot read amqp `tls_ca_file` `/nonexistent/ca.pem`"),
            "{err}"
        );
        let dir = std::env::temp_dir().join(format!("porticus-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let empty = empty.to_str().unwrap();
        let err = certificates(empty, "ca").unwrap_err();
        assert!(err.to_string().contains("holds no certificate"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_untrusted_certificate_is_found_inside_io_errors() {
        let refusal = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, refusal);
        assert_eq!(
            untrusted(&io).as_deref(),
            Some("invalid peer certificate: UnknownIssuer")
        );
        let other = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(untrusted(&other), None);
    }
}

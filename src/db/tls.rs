//! TLS for the database connection through rustls, with libpq 16's meaning of sslmode:
//! `prefer` and `require` encrypt without checking the certificate (`require` checks the
//! chain when a root certificate is present: config turns it into verify-ca), `verify-ca`
//! checks the chain but not the host name, `verify-full` checks both. The roots are the
//! `sslrootcert` file, else `~/.postgresql/root.crt`, or the system's with
//! `sslrootcert=system`; a verifying mode without any is refused, as libpq refuses it.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode as PgSslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::config::{SslMode, SslRoot, Target};

use super::DbError;

/// The sslmode tokio-postgres negotiates with, and the connector that does the handshake.
pub fn connector(target: &Target) -> Result<(PgSslMode, MakeRustlsConnect), DbError> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|err| DbError::Tls(err.to_string()))?;
    let config = match target.ssl_mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly { provider }))
            .with_no_client_auth(),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(root_store(target)?);
            let full = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|err| DbError::Tls(err.to_string()))?;
            if target.ssl_mode == SslMode::VerifyFull {
                builder.with_webpki_verifier(full).with_no_client_auth()
            } else {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly { inner: full }))
                    .with_no_client_auth()
            }
        }
    };
    let mode = match target.ssl_mode {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Prefer => PgSslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => PgSslMode::Require,
    };
    Ok((mode, MakeRustlsConnect::new(config)))
}

/// The system's bundle of trusted roots, where OpenSSL (and so libpq) finds it.
const SYSTEM_BUNDLES: &[&str] =
    &["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

/// The roots a verifying mode checks the chain against.
fn root_store(target: &Target) -> Result<RootCertStore, DbError> {
    let mut roots = RootCertStore::empty();
    match &target.ssl_root {
        SslRoot::File(path) => add_pem_file(&mut roots, path)?,
        SslRoot::System => {
            let bundle = std::env::var_os("SSL_CERT_FILE")
                .map(std::path::PathBuf::from)
                .or_else(|| SYSTEM_BUNDLES.iter().map(std::path::PathBuf::from).find(|p| p.is_file()));
            match bundle {
                Some(bundle) => add_pem_file(&mut roots, &bundle)?,
                // a system without a bundle: the public web roots ctodb carries
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
        }
        SslRoot::Missing(path) => {
            return Err(DbError::Tls(format!(
                "root certificate file \"{}\" does not exist; either provide the file (sslrootcert, \
                 PGSSLROOTCERT or ~/.postgresql/root.crt), use the system's trusted roots with \
                 sslrootcert=system, or change sslmode to disable server certificate verification",
                path.display()
            )))
        }
    }
    Ok(roots)
}

fn add_pem_file(roots: &mut RootCertStore, path: &std::path::Path) -> Result<(), DbError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|err| DbError::Tls(format!("cannot read sslrootcert {}: {err}", path.display())))?;
    for cert in certs {
        let cert =
            cert.map_err(|err| DbError::Tls(format!("cannot parse sslrootcert {}: {err}", path.display())))?;
        roots
            .add(cert)
            .map_err(|err| DbError::Tls(format!("bad certificate in {}: {err}", path.display())))?;
    }
    Ok(())
}

/// `sslmode=prefer|require`: encrypt, but accept any certificate (libpq does the same).
#[derive(Debug)]
struct EncryptOnly {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain must lead to a trusted root; the host name may differ.
/// rustls checks the chain before the name, so a name error means the chain was good.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

//! SHA-256 and SHA-384 over `aws_lc_rs::digest`.
//!
//! The transcript hash is one running [`HashContext`]; `fork`/`fork_finish` clone the aws-lc
//! context so a hash "so far" never rehashes buffered messages (DESIGN: "Transcript hashed once").

use aws_lc_rs::digest;

use crate::crypto::{Hash, HashAlgorithm, HashContext, HashOutput};

/// A hash function backed by `aws_lc_rs::digest`.
#[derive(Debug)]
pub struct AwsLcHash {
    alg: HashAlgorithm,
    digest: &'static digest::Algorithm,
}

/// SHA-256 (FIPS 180-4).
pub static SHA256: AwsLcHash = AwsLcHash {
    alg: HashAlgorithm::Sha256,
    digest: &digest::SHA256,
};

/// SHA-384 (FIPS 180-4).
pub static SHA384: AwsLcHash = AwsLcHash {
    alg: HashAlgorithm::Sha384,
    digest: &digest::SHA384,
};

impl Hash for AwsLcHash {
    fn algorithm(&self) -> HashAlgorithm {
        self.alg
    }

    fn start(&self) -> Box<dyn HashContext> {
        Box::new(Context(digest::Context::new(self.digest)))
    }

    fn hash(&self, data: &[u8]) -> HashOutput {
        HashOutput::new(digest::digest(self.digest, data).as_ref())
    }
}

/// An incremental hash; cloning the inner aws-lc context is how `fork` works.
struct Context(digest::Context);

impl HashContext for Context {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn fork(&self) -> Box<dyn HashContext> {
        Box::new(Self(self.0.clone()))
    }

    fn fork_finish(&self) -> HashOutput {
        HashOutput::new(self.0.clone().finish().as_ref())
    }

    fn finish(self: Box<Self>) -> HashOutput {
        HashOutput::new(self.0.finish().as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::hex;

    #[test]
    fn sha256_abc_fips180() {
        // FIPS 180-2 Appendix B.1 ("abc").
        assert_eq!(
            SHA256.hash(b"abc").as_ref(),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad").as_slice()
        );
        assert_eq!(SHA384.hash(b"").as_ref().len(), 48);
    }

    #[test]
    fn fork_is_independent_and_fork_finish_keeps_state() {
        for h in [&SHA256, &SHA384] {
            let mut ctx = h.start();
            ctx.update(b"hello ");
            let so_far = ctx.fork_finish();
            assert_eq!(so_far, h.hash(b"hello "));

            let mut forked = ctx.fork();
            forked.update(b"fork");
            ctx.update(b"world");

            assert_eq!(forked.finish(), h.hash(b"hello fork"));
            // fork_finish did not disturb the running context.
            assert_eq!(ctx.fork_finish(), h.hash(b"hello world"));
            assert_eq!(ctx.finish(), h.hash(b"hello world"));
        }
    }
}

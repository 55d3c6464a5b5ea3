//! Secrets from the operating system's random source (task-token secrets, ids).
//!
//! Read directly (`getrandom`), not through `rand`'s thread generator: seeding that one
//! probes the processor (`cpuid`), which under a hypervisor costs a few percent of a
//! small `stepdbg run` for the eight bytes it needs.

use rand::TryRng;

/// Random bytes from the operating system; `rand`'s thread generator only if the system
/// source fails.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    if rand::rngs::SysRng.try_fill_bytes(&mut b).is_err() {
        b = rand::random();
    }
    b
}

/// A random 128-bit secret.
pub fn secret() -> u128 {
    u128::from_le_bytes(bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_differ() {
        assert_ne!(super::secret(), super::secret());
        assert_ne!(super::bytes::<16>(), [0; 16]);
    }
}

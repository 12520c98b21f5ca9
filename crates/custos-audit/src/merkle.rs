//! An RFC 9162 (Certificate Transparency v2) Merkle tree over entry hashes,
//! kept as a compact frontier: the roots of the perfect subtrees that make up
//! the first `size` leaves, largest first. Appending is O(log n) amortized O(1),
//! and the root of any prefix is what a signed checkpoint commits to.
//!
//! `leaf = SHA-256(0x00 ‖ data)`, `node = SHA-256(0x01 ‖ left ‖ right)`, and the
//! tree of n leaves splits at the largest power of two below n (RFC 9162 §2.1.1).

use aws_lc_rs::digest::{Context, SHA256, digest};

use crate::Hash;

/// The hash of a leaf holding `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[0x00]);
    ctx.update(data);
    finish(ctx)
}

/// The hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[0x01]);
    ctx.update(left);
    ctx.update(right);
    finish(ctx)
}

fn finish(ctx: Context) -> Hash {
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, &[]).as_ref());
    out
}

/// The compact frontier of a Merkle tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MerkleFrontier {
    size: u64,
    /// Roots of perfect subtrees, largest first; one per set bit of `size`.
    nodes: Vec<Hash>,
}

/// Why a stored frontier could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed Merkle frontier")]
pub struct FrontierError;

impl MerkleFrontier {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf holding `data` (an entry hash).
    pub fn push(&mut self, data: &[u8]) {
        let mut node = leaf_hash(data);
        // Each trailing one-bit of the old size is a subtree of equal size to merge with.
        let mut size = self.size;
        while size & 1 == 1 {
            // INVARIANT: one node per set bit, so a trailing one-bit has a node to pop.
            let Some(left) = self.nodes.pop() else { break };
            node = node_hash(&left, &node);
            size >>= 1;
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// The tree head of the leaves so far.
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(mut acc) = nodes.next().copied() else {
            return empty_root();
        };
        for left in nodes {
            acc = node_hash(left, &acc);
        }
        acc
    }

    /// `size` (8 bytes, big-endian) followed by the subtree roots.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 * self.nodes.len());
        out.extend_from_slice(&self.size.to_be_bytes());
        for node in &self.nodes {
            out.extend_from_slice(node);
        }
        out
    }

    /// Reads [`encode`](Self::encode)'s output.
    pub fn decode(bytes: &[u8]) -> Result<Self, FrontierError> {
        let (size, rest) = bytes.split_first_chunk::<8>().ok_or(FrontierError)?;
        let size = u64::from_be_bytes(*size);
        if rest.len() % 32 != 0 || rest.len() / 32 != size.count_ones() as usize {
            return Err(FrontierError);
        }
        let nodes = rest
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect();
        Ok(Self { size, nodes })
    }
}

/// The RFC 9162 tree head of `leaves`, computed recursively: the specification
/// written as code, used to check the frontier.
pub fn reference_root(leaves: &[&[u8]]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaf_hash(leaves[0]),
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontier_matches_the_specification_for_every_size() {
        let data: Vec<[u8; 4]> = (0u32..70).map(u32::to_be_bytes).collect();
        let mut frontier = MerkleFrontier::new();
        assert_eq!(frontier.root(), reference_root(&[]));
        for n in 1..=data.len() {
            frontier.push(&data[n - 1]);
            let leaves: Vec<&[u8]> = data[..n].iter().map(|d| d.as_slice()).collect();
            assert_eq!(frontier.root(), reference_root(&leaves), "size {n}");
            assert_eq!(
                MerkleFrontier::decode(&frontier.encode()).unwrap(),
                frontier
            );
        }
    }

    #[test]
    fn rfc9162_shape_for_three_leaves() {
        // MTH({a,b,c}) = H(0x01 ‖ H(0x01 ‖ leaf(a) ‖ leaf(b)) ‖ leaf(c))
        let (a, b, c) = (b"a".as_slice(), b"b".as_slice(), b"c".as_slice());
        let expected = node_hash(&node_hash(&leaf_hash(a), &leaf_hash(b)), &leaf_hash(c));
        assert_eq!(reference_root(&[a, b, c]), expected);
    }

    #[test]
    fn malformed_frontiers_are_refused() {
        assert!(MerkleFrontier::decode(&[0; 7]).is_err());
        let mut bytes = 3u64.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0; 32]);
        assert!(
            MerkleFrontier::decode(&bytes).is_err(),
            "size 3 needs two nodes"
        );
    }
}

//! Every tuning constant of the products, in one place: the block sizes
//! of each instruction set, when panels are read in place rather than
//! packed, how far ahead the kernels ask for lines, and where the direct
//! loops give way to the blocked algorithm. The tile shapes, MR × NR, are
//! the micro-kernels' own ([`isa`](crate::isa)): 8 × 16 (and 12 × 16,
//! 8 × 8 and 8 × 12 for short and narrow c) with AVX-512, 6 × 8 with AVX2,
//! 4 × 4 portable. BENCHMARKS.md ("Matrix product") has the measurements
//! behind the values.
//!
//! The block sizes are constants per instruction set, as matrixmultiply's
//! `archparam` keeps them, rather than read from the cache sizes the CPU
//! reports: the cores that run each path have L1d and L2 caches of much
//! the same size (32–48 KiB and 0.5–2 MiB on the x86-64 cores of the last
//! decade), a block that fits the smallest of them loses little on the
//! others, and constants give every machine the same summation order for
//! the same path, which the crate's determinism promises.

/// The cache blocks of the blocked product (see [`super`]): KC rows of b
/// (columns of a) per packed block, MC rows of a per block, NC columns of
/// b per block. An MR × KC panel of a and a KC × NR panel of b should
/// stay in L1 while MC × KC of a stays in L2; a longer KC loads and stores
/// c's tile less often per multiply-add. Panels longer than [`SHORT_K`]
/// are read where they lie, unpacked, while their block spans at most
/// `in_place_span` values. A panel of b that more than one panel of a
/// reads is read where it lies only if `shared_b_in_place`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Blocking {
    pub kc: usize,
    pub mc: usize,
    pub nc: usize,
    pub in_place_span: usize,
    pub shared_b_in_place: bool,
}

/// The AVX-512 kernels' blocks: an 8 × 512 panel of a (32 KiB) and a
/// 512 × 16 panel of b (64 KiB) stream through L1 and L2, the prefetches
/// bringing b's lines in time, while 64 × 512 of a (256 KiB) stays in L2.
// Read by the x86-64 paths alone (and by the tests, on every target).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) const AVX512: Blocking = Blocking {
    kc: 512,
    mc: 64,
    nc: 2048,
    in_place_span: IN_PLACE_SPAN,
    shared_b_in_place: true,
};

/// The AVX2 kernel's blocks: a 6 × 256 panel of a (12 KiB) and a 256 × 8
/// panel of b (16 KiB) stay together in a 32 KiB L1d, and 72 × 256 of a
/// (144 KiB) in L2, as BLIS's Haswell blocks do (KC 256, MC 72). At
/// KC = 512 the two panels take 56 KiB, beyond a 32 KiB L1d. Every long
/// panel is packed: this kernel asks for no lines ahead, and a panel read
/// in place at a power-of-two stride (a transposed a of 256 columns:
/// 2 KiB) lies in a few of L1's sets and misses it at every step. So is
/// every panel of b that several panels of a read, however short: in
/// place, at a power-of-two stride, it is evicted between them
/// (BENCHMARKS.md, "On AVX2").
// Read by the x86-64 paths alone (and by the tests, on every target).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) const AVX2: Blocking = Blocking {
    kc: 256,
    mc: 72,
    nc: 2048,
    in_place_span: 0,
    shared_b_in_place: false,
};

/// The portable kernel's blocks (a 4 × 4 tile in memory-backed registers).
pub(crate) const PORTABLE: Blocking = Blocking {
    kc: 512,
    mc: 64,
    nc: 2048,
    in_place_span: IN_PLACE_SPAN,
    shared_b_in_place: true,
};

/// Panels up to this many steps are read in place rather than packed, and
/// their kernels ask for no lines ahead: they stay in L1.
pub(crate) const SHORT_K: usize = 128;

/// The AVX-512 and portable paths read longer panels in place too while
/// the block they come from spans at most this many values (512 KiB) of rows the kernel reads along
/// (rows of b; for a transposed a, its storage's rows): few enough pages,
/// close enough together, to stream as well as a packed copy, which then
/// costs more than it saves.
pub(crate) const IN_PLACE_SPAN: usize = 1 << 16;

/// How many steps ahead the AVX-512 micro-kernels ask for the lines of b and
/// a they will read, in panels longer than [`SHORT_K`]: a panel of b does
/// not stay in L1 from one tile to the next, and the hardware prefetchers
/// bring its lines back from L2 too late to keep both FMA units busy.
// Read by the x86-64 paths alone (and by the tests, on every target).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) const PREFETCH_STEPS: usize = 16;

/// c at most this many columns wide is narrow: the AVX-512 path gives it
/// a tile 8 or 12 columns wide, whose cost per row is the same for every
/// width up to its own, so such a product costs as much as one with 8 or
/// 12 columns. Where an operand allows, it is better computed transposed,
/// the few columns as rows of c (a tile of fewer rows costs less).
pub(crate) const NARROW: usize = 12;

/// Up to this many multiply-adds any loop beats packing. Products this
/// small sum each element in order, one multiply-add after another from 0
/// (the network's small-batch path relies on it).
pub(crate) const DIRECT_TINY: usize = 512;

/// Up to this many, a vectorising direct loop beats packing.
pub(crate) const DIRECT_MAX: usize = 16 * 1024;

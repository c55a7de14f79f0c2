//! ser-corpus: see the crate description. (Being built.)

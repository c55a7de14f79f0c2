//! ser-models: see the crate description. (Being built.)

//! ser-audio: see the crate description. (Being built.)

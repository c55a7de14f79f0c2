//! ser-mfcc: see the crate description. (Being built.)

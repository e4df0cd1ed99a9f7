//! Integration tests of anycall-gateway: annotations both ways, routing,
//! errors, concurrency, hot reload, and the gateway in front of the
//! reference peers.

mod gateway {
    pub(crate) mod support;

    mod annotations;
    mod errors;
    mod library;
    mod load;
    mod peers;
    mod routing;
}

//! The behaviour suite over HTTP: a client-only caller node → an HTTP listener serving the node
//! that has the handlers, on real sockets.

porticus_tests::behaviour_suite!(porticus_tests::harness::http);

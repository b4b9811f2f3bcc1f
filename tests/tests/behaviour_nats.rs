//! The behaviour suite over the NATS transport, through the machine's nats-server (JetStream).

porticus_tests::behaviour_suite!(porticus_tests::harness::nats);

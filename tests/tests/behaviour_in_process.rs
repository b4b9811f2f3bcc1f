//! The behaviour suite, acting in-process on the node that has the handlers.

porticus_tests::behaviour_suite!(porticus_tests::harness::in_process);

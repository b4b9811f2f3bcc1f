//! The behaviour suite over the AMQP transport, through the local RabbitMQ.

porticus_tests::behaviour_suite!(porticus_tests::harness::amqp);

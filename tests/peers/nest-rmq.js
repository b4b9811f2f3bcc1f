'use strict'
// NestJS 12 microservices peer of the peer benchmark, RMQ transport (amqplib +
// amqp-connection-manager), every option at its default but the queue's name (unique per
// run) and durable: false.
//   node nest-rmq.js server   NestFactory.createMicroservice(Transport.RMQ) with a
//                             @MessagePattern({role: 'math', cmd: 'sum'}) controller
//   node nest-rmq.js client   ClientProxy.send({role: 'math', cmd: 'sum'}, {left, right})
// Plain JavaScript: the decorators are applied as functions.
// env: AMQP_URL, PEERS_QUEUE, plus load.js's.
require('reflect-metadata')
const { Controller, Module, Logger } = require('@nestjs/common')
const { NestFactory } = require('@nestjs/core')
const { MessagePattern, Transport, ClientProxyFactory } = require('@nestjs/microservices')
const { firstValueFrom } = require('rxjs')
const load = require('./load')

const mode = process.argv[2]
Logger.overrideLogger(false)
const options = {
  urls: [process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672'],
  queue: process.env.PEERS_QUEUE || 'porticus_peers_nest',
  queueOptions: { durable: false }
}

class MathController {
  sum (data) { return { answer: data.left + data.right } }
}
MessagePattern({ role: 'math', cmd: 'sum' })(MathController.prototype, 'sum',
  Object.getOwnPropertyDescriptor(MathController.prototype, 'sum'))
Controller()(MathController)

class MathModule {}
Module({ controllers: [MathController] })(MathModule)

async function main () {
  if (mode === 'server') {
    const app = await NestFactory.createMicroservice(MathModule, { transport: Transport.RMQ, options, logger: false })
    await app.listen()
    load.ready()
  } else if (mode === 'client') {
    const client = ClientProxyFactory.create({ transport: Transport.RMQ, options })
    await client.connect()
    load.watchdog()
    await load.measure((left, right) => firstValueFrom(client.send({ role: 'math', cmd: 'sum' }, { left, right })), { timed: true })
    process.exit(0)
  } else {
    console.error('usage: node nest-rmq.js server|client')
    process.exit(2)
  }
}

main().catch(e => { console.error(e); process.exit(1) })

// The MQTT ceiling of the e2e bench: aedes alone, no hooks, no subscribers, on a port given in argv[2].
// Prints "listening" when ready; stops on SIGTERM.
import { createServer } from 'node:net'
import { Aedes } from 'aedes'

const aedes = await Aedes.createBroker()
const server = createServer((socket) => aedes.handle(socket))
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('listening\n'))
process.on('SIGTERM', () => {
  server.close()
  aedes.close(() => process.exit(0))
})

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;

/**
 * Holds many live streams open at once with one thread (NIO): opens N connections to
 * {@code GET /api/v1/events/stream} with an API key, at most WINDOW of them being set up at a time, and
 * counts a stream as open once its response starts with {@code HTTP/1.1 200} and the first SSE comment
 * ({@code :connected}) arrived. Afterwards it keeps reading (heartbeats) and keeps every stream open
 * until it is killed or HOLD_SECONDS have passed. Used by bench/footprint.sh.
 *
 * Usage: java StreamsHold.java HOST PORT API_KEY COUNT HOLD_SECONDS [WINDOW] [OPEN_SECONDS]
 * Prints "opened=N failed=M seconds=S" when every connection is either open or failed (those still being
 * set up after OPEN_SECONDS, default 300, count as failed: a server that ran out of heap stops answering),
 * then "closed" at the end; a stream the server ends while held is counted in "dropped=" on the last line.
 */
public class StreamsHold {

    private static final class Stream {
        final ByteBuffer request;
        final StringBuilder head = new StringBuilder();
        boolean open;

        Stream(ByteBuffer request) {
            this.request = request;
        }
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String key = args[2];
        int count = Integer.parseInt(args[3]);
        long holdMillis = Long.parseLong(args[4]) * 1000;
        int window = args.length > 5 ? Integer.parseInt(args[5]) : 100;
        long openDeadline = System.nanoTime() + (args.length > 6 ? Long.parseLong(args[6]) : 300) * 1_000_000_000L;
        byte[] request = ("GET /api/v1/events/stream HTTP/1.1\r\nHost: " + host + ":" + port
                        + "\r\nAuthorization: Bearer " + key + "\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        InetSocketAddress address = new InetSocketAddress(host, port);
        Selector selector = Selector.open();
        ByteBuffer read = ByteBuffer.allocate(16 * 1024);
        int started = 0;
        int opened = 0;
        int failed = 0;
        int dropped = 0;
        int pending = 0;
        long begin = System.nanoTime();
        boolean reported = false;
        long holdUntil = Long.MAX_VALUE;
        while (System.currentTimeMillis() < holdUntil) {
            while (started < count && pending < window) {
                SocketChannel channel = SocketChannel.open();
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
                channel.connect(address);
                channel.register(selector, SelectionKey.OP_CONNECT, new Stream(ByteBuffer.wrap(request)));
                started++;
                pending++;
            }
            if (!reported && opened + failed < count && System.nanoTime() > openDeadline) {
                failed = count - opened; // still connecting or waiting for an answer
                started = count;
            }
            if (!reported && opened + failed == count) {
                System.out.printf("opened=%d failed=%d seconds=%.1f%n", opened, failed,
                        (System.nanoTime() - begin) / 1e9);
                System.out.flush();
                reported = true;
                holdUntil = System.currentTimeMillis() + holdMillis;
            }
            selector.select(1000);
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey k = keys.next();
                keys.remove();
                Stream stream = (Stream) k.attachment();
                SocketChannel channel = (SocketChannel) k.channel();
                try {
                    if (k.isConnectable()) {
                        channel.finishConnect();
                        k.interestOps(SelectionKey.OP_WRITE);
                    } else if (k.isWritable()) {
                        channel.write(stream.request);
                        if (!stream.request.hasRemaining()) {
                            k.interestOps(SelectionKey.OP_READ);
                        }
                    } else if (k.isReadable()) {
                        read.clear();
                        int n = channel.read(read);
                        if (n < 0) {
                            throw new IOException("closed by the server");
                        }
                        if (!stream.open) {
                            stream.head.append(new String(read.array(), 0, n, StandardCharsets.ISO_8859_1));
                            if (!stream.head.toString().startsWith("HTTP/1.1 200")
                                    && stream.head.indexOf("\r\n") >= 0) {
                                throw new IOException("answered " + stream.head.substring(0, stream.head.indexOf("\r\n")));
                            }
                            if (stream.head.indexOf(":connected") >= 0) {
                                stream.open = true;
                                stream.head.setLength(0);
                                opened++;
                                pending--;
                            }
                        }
                    }
                } catch (IOException e) {
                    k.cancel();
                    channel.close();
                    if (stream.open) {
                        dropped++;
                        opened--;
                    } else {
                        if (failed < 5) {
                            System.err.println("stream failed: " + e.getMessage());
                        }
                        failed++;
                        pending--;
                    }
                }
            }
        }
        System.out.printf("closed opened=%d dropped=%d%n", opened, dropped);
    }
}

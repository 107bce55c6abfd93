package io.virtdevice.platform.web;

import java.net.InetSocketAddress;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.boot.jetty.servlet.JettyServletWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spring Boot's Jetty factory (as its auto-configuration builds it, with the {@link JettyServerCustomizer}
 * beans), with one change: by default ({@code virtdevice.web.buffer-pool=unpooled}) each connector gets
 * buffers that are not pooled, on the heap, instead of Jetty's shared {@code ArrayByteBufferPool}.
 *
 * <p>Why: a fresh-clone CI run caught Jetty 12.1.10 writing 2,045 bytes of an earlier request's body in front
 * of another connection's answer: the rest, beyond the first 8 KB read, of a 10 KB body sent with a request
 * Jetty itself refused (an ambiguous {@code %2e%2e} path), two requests before. That is a pooled request
 * buffer filled after it had gone back to the pool and been taken as another answer's header buffer. It was
 * not reproduced outside the full suite (docs/decisions.md, "Jetty's buffer pool, off"). Across tenants it
 * would hand one user's request bytes to another, so the pool goes: a buffer released too early is then only
 * garbage, never someone else's. {@code pooled} restores Jetty's pool.
 */
@Configuration(proxyBeanMethods = false)
class JettyServerFactory {

    @Bean
    JettyServletWebServerFactory jettyServletWebServerFactory(ObjectProvider<JettyServerCustomizer> serverCustomizers,
            @Value("${virtdevice.web.buffer-pool:unpooled}") String bufferPool) {
        if (!bufferPool.equals("unpooled") && !bufferPool.equals("pooled")) {
            throw new IllegalArgumentException("virtdevice.web.buffer-pool must be unpooled or pooled, not " + bufferPool);
        }
        JettyServletWebServerFactory factory = bufferPool.equals("pooled") ? new JettyServletWebServerFactory()
                : new UnpooledBuffers();
        factory.getServerCustomizers().addAll(serverCustomizers.orderedStream().toList());
        return factory;
    }

    /** Connectors whose buffers are allocated on the heap when taken and left to the garbage collector. */
    static final class UnpooledBuffers extends JettyServletWebServerFactory {

        @Override
        protected AbstractConnector createConnector(InetSocketAddress address, Server server) {
            AbstractConnector connector = createConnector(address, server, null, null, new ByteBufferPool.NonPooling());
            // heap buffers: a direct one allocated per use costs far more than it saves on a socket read
            connector.getConnectionFactories().stream()
                    .filter(HttpConfiguration.ConnectionFactory.class::isInstance)
                    .map(f -> ((HttpConfiguration.ConnectionFactory) f).getHttpConfiguration())
                    .forEach(http -> {
                        http.setUseInputDirectByteBuffers(false);
                        http.setUseOutputDirectByteBuffers(false);
                    });
            return connector;
        }
    }
}

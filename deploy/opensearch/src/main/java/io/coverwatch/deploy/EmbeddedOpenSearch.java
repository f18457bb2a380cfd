package io.coverwatch.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.opensearch.action.admin.cluster.health.ClusterHealthResponse;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.env.Environment;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.join.ParentJoinPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.percolator.PercolatorPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.search.aggregations.matrix.MatrixAggregationPlugin;
import org.opensearch.transport.Netty4Plugin;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.index.mapper.MapperExtrasPlugin;

/**
 * Starts one real OpenSearch node inside this JVM, with the stock modules that a
 * distribution would load from its modules/ folder supplied on the classpath instead.
 *
 * Configuration comes from system properties so the Python side can pass them on the
 * command line: coverwatch.home, coverwatch.http.port, coverwatch.transport.port,
 * coverwatch.cluster.name, coverwatch.node.name, coverwatch.path.repo (snapshot
 * repositories may live under it) and, for a cluster of several launchers,
 * coverwatch.seed.hosts and coverwatch.initial.managers (comma-separated). Without
 * seed hosts the node forms a cluster of one. The heap is the JVM's own -Xmx.
 */
public final class EmbeddedOpenSearch {

    private static final List<Class<? extends Plugin>> MODULES = List.of(
        Netty4Plugin.class,
        CommonAnalysisPlugin.class,
        PainlessPlugin.class,
        PercolatorPlugin.class,
        ReindexPlugin.class,
        MapperExtrasPlugin.class,
        MatrixAggregationPlugin.class,
        ParentJoinPlugin.class
    );

    /** Node's constructor that accepts classpath plugins is protected; this opens it. */
    private static final class ClasspathPluginNode extends Node {
        ClasspathPluginNode(Environment environment, List<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    private EmbeddedOpenSearch() {
    }

    private static List<String> commaList(String text) {
        return Arrays.stream(text.split(",")).map(String::trim).filter(part -> !part.isEmpty()).toList();
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(System.getProperty("coverwatch.home", "var/opensearch")).toAbsolutePath();
        String httpPort = System.getProperty("coverwatch.http.port", "9200");
        String transportPort = System.getProperty("coverwatch.transport.port", "9300");
        String clusterName = System.getProperty("coverwatch.cluster.name", "coverwatch-dev");
        String nodeName = System.getProperty("coverwatch.node.name", clusterName + "-node");
        Path repo = Path.of(System.getProperty("coverwatch.path.repo", home.resolve("snapshots").toString()))
            .toAbsolutePath();
        List<String> seeds = commaList(System.getProperty("coverwatch.seed.hosts", ""));
        List<String> managers = commaList(System.getProperty("coverwatch.initial.managers", ""));
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(repo);
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("config"));

        Settings.Builder builder = Settings.builder()
            .put("cluster.name", clusterName)
            .put("node.name", nodeName)
            .put("path.home", home.toString())
            .putList("path.repo", List.of(repo.toString()))
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("transport.port", transportPort)
            // A development node on a shared disk must not go read-only when the disk fills.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.auto_create_index", false);
        if (seeds.isEmpty()) {
            builder.put("discovery.type", "single-node");
        } else {
            builder.putList("discovery.seed_hosts", seeds)
                .putList("cluster.initial_cluster_manager_nodes", managers.isEmpty() ? List.of(nodeName) : managers);
        }
        Settings settings = builder.build();

        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), home.resolve("config"), () -> nodeName);
        Node node = new ClasspathPluginNode(environment, MODULES);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception closeFailure) {
                System.err.println("error while stopping the node: " + closeFailure);
            } finally {
                stopped.countDown();
            }
        }, "coverwatch-opensearch-shutdown"));

        node.start();
        ClusterHealthResponse health = node.client().admin().cluster().prepareHealth()
            .setWaitForYellowStatus().setTimeout(TimeValue.timeValueMinutes(2)).get();
        if (health.isTimedOut()) {
            System.err.println("cluster did not reach yellow within 2 minutes: " + health.getStatus());
            System.exit(3);
        }
        System.out.println("COVERWATCH_OPENSEARCH_READY http=127.0.0.1:" + httpPort
            + " status=" + health.getStatus());
        System.out.flush();
        stopped.await();
    }
}

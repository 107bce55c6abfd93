package io.virtdevice.platform.database;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Prints why the embedded PostgreSQL cannot run and how to use an external one, instead of a stack trace. */
class EmbeddedPostgresUnavailableFailureAnalyzer extends AbstractFailureAnalyzer<EmbeddedPostgresUnavailableException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, EmbeddedPostgresUnavailableException cause) {
        return new FailureAnalysis(cause.getMessage(), EmbeddedPostgresUnavailableException.ACTION, cause);
    }
}

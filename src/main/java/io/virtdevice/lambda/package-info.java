/**
 * The AWS Lambda function an Alexa Smart Home skill must point at (shared/spec/alexa.md §1): it forwards each
 * directive unchanged to {@code POST {VIRTDEVICE_URL}/alexa/v3/directives} and hands VirtDevice's answer back
 * to Alexa, or a complete {@code ErrorResponse} when VirtDevice cannot answer in time. Packaged on its own as
 * {@code target/virtdevice-alexa-lambda.zip}; it runs without Spring (cold start matters), so it may use only
 * the JDK, {@code aws-lambda-java-core} and jackson-jr — no other module of the application
 * ({@code LambdaDependencyTests} checks it; this annotation is left out of the zip).
 */
@ApplicationModule(allowedDependencies = {})
package io.virtdevice.lambda;

import org.springframework.modulith.ApplicationModule;

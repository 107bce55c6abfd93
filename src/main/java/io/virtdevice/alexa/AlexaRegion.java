package io.virtdevice.alexa;

/**
 * Alexa's three regions (spec §1): each has its own Lambda region, Login-with-Amazon behaviour and Event
 * Gateway. A user's link belongs to the region whose Lambda forwarded their AcceptGrant.
 */
public enum AlexaRegion {
    /** North America: Lambda us-east-1, gateway api.amazonalexa.com. */
    NA,
    /** Europe and India: Lambda eu-west-1, gateway api.eu.amazonalexa.com. */
    EU,
    /** Far East: Lambda us-west-2, gateway api.fe.amazonalexa.com. */
    FE
}

// The product version, printed by `tandem version` and at start-up.
export const VERSION = "0.1.0";

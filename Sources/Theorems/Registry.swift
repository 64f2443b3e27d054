/// The theorem registry (issue 3) lands here.
public enum TheoremRegistryPlaceholder {}

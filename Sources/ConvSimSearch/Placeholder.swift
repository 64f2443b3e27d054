public enum SearchPlaceholder {}

public enum ConvSimCorrelationModule {}

/// Placeholder: the Convolutional Similarity module (issue 5) lands here.
public enum ConvolutionalSimilarityModule {}

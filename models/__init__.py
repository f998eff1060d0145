"""Models behind one predictor interface: RandomForest and XGBoost pattern classifiers, the PyTorch
DQN, CNN and Transformer, found through the explicit registry (``models.registry``).

Imports nothing of ours but models/ itself: a model knows arrays, not stores or config files.
"""

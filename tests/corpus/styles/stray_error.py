"""expect-fail: none
A scratch cell above the stubs raises (a typo); another one below a demo fails too. Neither costs a point."""
# %% before compute_saliency_maps
print(X_tensr.shape)  # typo: this cell raises NameError, the kernel goes on
# %% after compute_saliency_maps
import numpy as np
np.load("my_own_file.npy")  # a file that is not there
# %% before make_fooling_image
model.train()  # a stray experiment; the functions must cope with the mode anyway

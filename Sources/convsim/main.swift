print("convsim")

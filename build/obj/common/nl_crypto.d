/work/main/build/obj/common/nl_crypto.o: /work/main/common/nl_crypto.cpp \
 /work/main/common/nl_crypto.h
/work/main/common/nl_crypto.h:

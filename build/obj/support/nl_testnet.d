/work/main/build/obj/support/nl_testnet.o: \
 /work/main/tests/support/nl_testnet.cpp \
 /work/main/tests/support/nl_testnet.h /work/main/common/nl_clock.h \
 /work/main/common/nl_socket.h
/work/main/tests/support/nl_testnet.h:
/work/main/common/nl_clock.h:
/work/main/common/nl_socket.h:
